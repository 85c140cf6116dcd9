"""Locust users for bench/lookup.py: fixed-rate lookups for the latency run.

Settings come from the environment that bench/lookup.py sets:
BENCH_IDS (file of personal IDs), BENCH_KEY, BENCH_PURPOSE, BENCH_USER_RATE (req/s per user).
"""

import os
import random

from locust import constant_throughput, task
from locust.contrib.fasthttp import FastHttpUser

IDS = open(os.environ["BENCH_IDS"], encoding="utf-8").read().split()  # noqa: SIM115
HEADERS = {"X-API-Key": os.environ["BENCH_KEY"], "X-Purpose": os.environ["BENCH_PURPOSE"]}


class Lookup(FastHttpUser):
    wait_time = constant_throughput(float(os.environ["BENCH_USER_RATE"]))

    @task
    def lookup(self) -> None:
        personal_id = random.choice(IDS)
        self.client.get(
            f"/v1/citizens/{personal_id}", headers=HEADERS, name="/v1/citizens/{personal_id}"
        )
