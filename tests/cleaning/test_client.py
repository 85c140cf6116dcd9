"""``popreg clean`` against a mocked API: streamed upload, polling, results, problems."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console
from typer.testing import CliRunner

from app.cleaning.client import BLOCK, CleanOptions, execute
from app.cli import cli

JOB = "a" * 32
BASE = f"/v1/cleaning/jobs/{JOB}"
LINKS = {"self": BASE, "results": f"{BASE}/results", "summary": f"{BASE}/summary"}
SUMMARY = {
    "job_id": JOB,
    "state": "done",
    "rows": 3,
    "rows_processed": 3,
    "by_status": {"clean": 2, "mismatch": 1, "not_found": 0},
    "by_reason": {"full_name:diacritics": 1},
    "fields_checked": 9,
    "fee_vnd": 9000,
}
RESULTS = b'{"row":1,"status":"clean"}\n{"row":2,"status":"clean"}\n{"row":3,"status":"mismatch"}\n'


def job(state: str, processed: int, received: int = 3) -> dict[str, Any]:
    return {
        "id": JOB,
        "state": state,
        "rows_received": received,
        "rows_processed": processed,
        "progress": processed / received,
        "rows_per_second": 1000.0 if processed else None,
        "eta_seconds": 0.5 if state != "done" else None,
        "links": LINKS,
    }


class FakeApi:
    """Records what the client sends; answers like the cleaning endpoints."""

    def __init__(self, states: list[dict[str, Any]]) -> None:
        self.states = states
        self.requests: list[httpx.Request] = []
        self.pieces: list[int] = []
        self.purposes = [
            {"code": "subscriber_verification", "operations": ["verify", "clean"]},
            {"code": "marketing", "operations": ["verify"]},
        ]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if request.method == "POST" and path == "/v1/cleaning/jobs":
            assert isinstance(request.stream, httpx.SyncByteStream)
            self.pieces = [len(piece) for piece in request.stream]
            return httpx.Response(202, json=job("queued", 0), headers={"Location": BASE})
        if path == BASE:
            return httpx.Response(200, json=self.states.pop(0))
        if path == f"{BASE}/results":
            return httpx.Response(200, content=RESULTS)
        if path == f"{BASE}/summary":
            return httpx.Response(200, json=SUMMARY)
        if path == "/v1/agencies/me":
            return httpx.Response(200, json={"purposes": self.purposes})
        return httpx.Response(404, json={"code": "NOT_FOUND", "detail": path})


class StreamingMockTransport(httpx.MockTransport):
    """MockTransport reads the request body first; this one leaves the stream to the handler."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.handler(request)
        assert isinstance(response, httpx.Response)
        return response


def problem(status: int, code: str, detail: str) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        request.read()
        body = {"type": "urn:x", "title": "x", "status": status, "code": code, "detail": detail}
        return httpx.Response(
            status, content=json.dumps(body), headers={"Content-Type": "application/problem+json"}
        )

    return answer


@pytest.fixture
def upload_file(tmp_path: Path) -> Path:
    path = tmp_path / "subscribers.csv"
    header = b"subscriber_id,msisdn,full_name,birth_date,id_number\n"
    path.write_bytes(header + b"x" * (2 * BLOCK + 100))  # three blocks
    return path


def options(file: Path, out: Path, **changes: Any) -> CleanOptions:
    values: dict[str, Any] = {
        "file": file,
        "sector": "telecom",
        "purpose": "subscriber_verification",
        "mapping": ["personal_id:so_cccd", "full_name:ho_ten"],
        "input_format": "csv",
        "out": out,
        "url": "http://popreg.test",
        "api_key": "pk_test_secret",
        "poll": 0.01,
    }
    return CleanOptions(**{**values, **changes})


def run(
    opts: CleanOptions, handler: Callable[[httpx.Request], httpx.Response]
) -> tuple[int, str, list[float]]:
    sleeps: list[float] = []
    buffer = io.StringIO()
    console = Console(file=buffer, width=200)
    code = execute(
        opts, console=console, transport=StreamingMockTransport(handler), sleep=sleeps.append
    )
    return code, buffer.getvalue(), sleeps


def test_upload_is_streamed_with_its_parameters_and_headers(
    upload_file: Path, tmp_path: Path
) -> None:
    api = FakeApi([job("done", 3)])
    code, _, _ = run(options(upload_file, tmp_path / "r.csv"), api)
    assert code == 0
    post = api.requests[0]
    assert post.method == "POST"
    assert post.url.params.get_list("map") == ["personal_id:so_cccd", "full_name:ho_ten"]
    assert post.url.params["sector"] == "telecom"
    assert post.url.params["purpose"] == "subscriber_verification"
    assert post.url.params["format"] == "csv"
    assert post.headers["X-API-Key"] == "pk_test_secret"
    assert post.headers["Content-Type"] == "text/csv"
    size = upload_file.stat().st_size
    assert post.headers["Content-Length"] == str(size)
    assert "Transfer-Encoding" not in post.headers
    # Sent as the file was read, block by block, not as one body.
    assert api.pieces == [BLOCK, BLOCK, size - 2 * BLOCK]


def test_polls_until_done_then_writes_results_and_prints_the_summary(
    upload_file: Path, tmp_path: Path
) -> None:
    api = FakeApi([job("running", 1), job("running", 2), job("done", 3)])
    out = tmp_path / "deep" / "results.ndjson"
    code, printed, sleeps = run(options(upload_file, out, poll=0.25), api)
    assert code == 0, printed
    polls = [r for r in api.requests if r.url.path == BASE]
    assert len(polls) == 3
    assert sleeps == [0.25, 0.25, 0.25]
    assert all(r.headers["X-API-Key"] == "pk_test_secret" for r in api.requests)
    download = next(r for r in api.requests if r.url.path.endswith("/results"))
    assert download.url.params["format"] == "ndjson"  # from the --out suffix
    assert out.read_bytes() == RESULTS
    assert "full_name:diacritics" in printed
    assert "9,000 VND" in printed
    assert "mismatch" in printed


def test_results_default_to_csv(upload_file: Path, tmp_path: Path) -> None:
    api = FakeApi([job("done", 3)])
    code, _, _ = run(options(upload_file, tmp_path / "results.txt"), api)
    assert code == 0
    download = next(r for r in api.requests if r.url.path.endswith("/results"))
    assert download.url.params["format"] == "csv"


def test_a_problem_prints_its_code_and_detail_and_exits_1(
    upload_file: Path, tmp_path: Path
) -> None:
    handler = problem(400, "MISSING_COLUMNS", "The file has no column 'id_number'.")
    code, printed, _ = run(options(upload_file, tmp_path / "r.csv"), handler)
    assert code == 1
    assert "MISSING_COLUMNS" in printed
    assert "The file has no column 'id_number'." in printed
    assert "Traceback" not in printed
    assert not (tmp_path / "r.csv").exists()


def test_a_failed_job_exits_1(upload_file: Path, tmp_path: Path) -> None:
    failed = {**job("failed", 1), "error": "The job cannot run: purpose gone."}
    code, printed, _ = run(options(upload_file, tmp_path / "r.csv"), FakeApi([failed]))
    assert code == 1
    assert "purpose gone" in printed


def test_ctrl_c_while_processing_leaves_the_job_running(upload_file: Path, tmp_path: Path) -> None:
    def interrupt(_: float) -> None:
        raise KeyboardInterrupt

    buffer = io.StringIO()
    code = execute(
        options(upload_file, tmp_path / "r.csv"),
        console=Console(file=buffer, width=200),
        transport=StreamingMockTransport(FakeApi([])),
        sleep=interrupt,
    )
    assert code == 130
    assert f"http://popreg.test{BASE}" in buffer.getvalue()


def test_the_command_is_registered_and_wants_an_api_key(
    upload_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POPREG_API_KEY", raising=False)
    result = CliRunner().invoke(cli, ["clean", str(upload_file), "--sector", "telecom"])
    assert result.exit_code == 2
    assert "API key" in result.output


def test_without_purpose_the_one_purpose_allowing_cleaning_is_used(
    upload_file: Path, tmp_path: Path
) -> None:
    api = FakeApi([job("done", 3)])
    code, _, _ = run(options(upload_file, tmp_path / "r.csv", purpose=None), api)
    assert code == 0
    post = next(r for r in api.requests if r.method == "POST")
    assert post.url.params["purpose"] == "subscriber_verification"


def test_without_purpose_and_two_cleaning_purposes_it_asks_for_one(
    upload_file: Path, tmp_path: Path
) -> None:
    api = FakeApi([])
    api.purposes = [
        {"code": "a", "operations": ["clean"]},
        {"code": "b", "operations": ["clean"]},
    ]
    code, output, _ = run(options(upload_file, tmp_path / "r.csv", purpose=None), api)
    assert code == 1
    assert "PURPOSE_REQUIRED" in output
    assert "a, b" in output
    assert not any(r.method == "POST" for r in api.requests)
