"""Two processes sharing one Redis limiter admit no more than one bucket allows."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import time
from pathlib import Path

from app.limits import LimitPolicy

RATE = 50.0
BURST = 20
RUN_SECONDS = 2.0


def hammer(url: str, prefix: str, costs: list[int], start_at: float, out: str) -> None:
    """Call as fast as possible from ``start_at`` for RUN_SECONDS; write what was admitted."""
    from app.limits.redis_limiter import RedisLimiter

    async def run() -> dict[str, float]:
        limiter = RedisLimiter.from_url(url, prefix=prefix)
        policy = LimitPolicy(rate=RATE, burst=BURST)
        admitted = calls = 0
        last_admitted = 0.0
        await asyncio.sleep(max(start_at - time.time(), 0))
        first_call = time.time()
        try:
            while time.time() < start_at + RUN_SECONDS:
                cost = costs[calls % len(costs)]
                calls += 1
                if (await limiter.hit("saomai-telecom", policy, cost)).allowed:
                    admitted += cost
                    last_admitted = time.time()
        finally:
            await limiter.aclose()
        return {
            "admitted": admitted,
            "calls": calls,
            "first_call": first_call,
            "last_admitted": last_admitted,
        }

    Path(out).write_text(json.dumps(asyncio.run(run())), encoding="utf-8")


def test_two_processes_never_admit_more_than_burst_plus_rate_times_elapsed(
    redis_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    context = multiprocessing.get_context("spawn")
    start_at = time.time() + 1.5  # after both interpreters have started
    outputs = [str(tmp_path / f"worker-{n}.json") for n in range(2)]
    workers = [
        context.Process(target=hammer, args=(redis_url, redis_prefix, costs, start_at, out))
        for costs, out in zip(([1], [1, 2, 3]), outputs, strict=True)
    ]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=60)
        assert process.exitcode == 0
    results = [json.loads(Path(out).read_text(encoding="utf-8")) for out in outputs]
    admitted = sum(r["admitted"] for r in results)
    elapsed = max(r["last_admitted"] for r in results) - min(r["first_call"] for r in results)
    ceiling = BURST + RATE * elapsed
    assert admitted <= ceiling + 1e-6, (admitted, ceiling, results)
    # Both shared the bucket, and the bucket was kept busy: the bound is not vacuous.
    assert all(r["admitted"] > 0 for r in results), results
    assert all(r["calls"] > 4 * r["admitted"] for r in results), results
    assert admitted >= 0.8 * (BURST + RATE * RUN_SECONDS) - 5, (admitted, results)
