"""``popreg clean``: run a cleaning job through the HTTP API, from upload to results.

The file is streamed up in 1 MiB blocks (never read whole), the job is polled
until it is done, the results are streamed into ``--out`` and the summary is
printed. Everything here is an HTTP client: it works against any popreg server.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table

BLOCK = 1 << 20
FINISHED = ("done", "cancelled", "failed")
MEDIA_TYPES = {"csv": "text/csv", "ndjson": "application/x-ndjson"}
SUFFIXES = {".csv": "csv", ".ndjson": "ndjson", ".jsonl": "ndjson"}
TIMEOUT = httpx.Timeout(120.0, connect=10.0)


class ApiProblem(Exception):
    """An error answer from the API (problem+json, or anything else that is not 2xx)."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.status, self.code, self.detail = status, code, detail


@dataclass(frozen=True, slots=True)
class CleanOptions:
    file: Path
    sector: str
    purpose: str | None
    mapping: list[str]
    input_format: str
    out: Path
    url: str
    api_key: str
    poll: float = 1.0


def _raise_for_problem(response: httpx.Response) -> None:
    if response.is_success:
        return
    response.read()
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "code" in body:
        raise ApiProblem(response.status_code, str(body["code"]), str(body.get("detail") or ""))
    text = response.text.strip()[:300] or response.reason_phrase
    raise ApiProblem(response.status_code, f"HTTP_{response.status_code}", text)


def _blocks(path: Path, advance: Callable[[int], None]) -> Iterator[bytes]:
    with path.open("rb") as source:
        while block := source.read(BLOCK):
            yield block
            advance(len(block))


def cleaning_purpose(client: httpx.Client) -> str:
    """The agency's one purpose that allows cleaning, when no ``--purpose`` is given."""
    response = client.get("/v1/agencies/me")
    _raise_for_problem(response)
    purposes = [p["code"] for p in response.json()["purposes"] if "clean" in p["operations"]]
    if len(purposes) != 1:
        raise ApiProblem(
            400,
            "PURPOSE_REQUIRED",
            "Name the purpose with --purpose; purposes of yours that allow cleaning: "
            f"{', '.join(purposes) or 'none'}.",
        )
    return str(purposes[0])


def upload(client: httpx.Client, options: CleanOptions, console: Console) -> dict[str, Any]:
    """Stream the file up; the job JSON (202) once the server has stored all of it."""
    params: dict[str, str | list[str]] = {"sector": options.sector, "format": options.input_format}
    params["purpose"] = options.purpose or cleaning_purpose(client)
    if options.mapping:
        params["map"] = options.mapping
    size = options.file.stat().st_size
    headers = {"Content-Type": MEDIA_TYPES[options.input_format], "Content-Length": str(size)}
    columns = (TextColumn("uploading "), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("upload", total=size)
        blocks = _blocks(options.file, lambda n: bar.advance(task, n))
        response = client.post("/v1/cleaning/jobs", params=params, headers=headers, content=blocks)
    _raise_for_problem(response)
    job: dict[str, Any] = response.json()
    job.setdefault("links", {}).setdefault("self", response.headers.get("location", ""))
    return job


def wait(
    client: httpx.Client,
    job: dict[str, Any],
    console: Console,
    poll: float,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Poll the job until it is done, cancelled or failed; the last job JSON."""
    columns = (
        TextColumn("processing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows {task.fields[rate]} · ETA {task.fields[eta]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("process", total=job["rows_received"] or None, rate="…", eta="…")
        while True:
            rate, eta = job.get("rows_per_second"), job.get("eta_seconds")
            bar.update(
                task,
                completed=job["rows_processed"],
                total=job["rows_received"] or None,
                rate=f"{rate:,.0f}/s" if rate else "…",
                eta=f"{eta:,.0f} s" if eta is not None else "…",
            )
            if job["state"] in FINISHED:
                return job
            sleep(poll)
            response = client.get(job["links"]["self"])
            _raise_for_problem(response)
            job = response.json()


def download(client: httpx.Client, job: dict[str, Any], out: Path) -> int:
    """Stream the results into ``out`` (CSV, or NDJSON for .ndjson/.jsonl); bytes written."""
    fmt = SUFFIXES.get(out.suffix.lower(), "csv")
    link = job["links"].get("results") or f"{job['links']['self']}/results"
    written = 0
    with client.stream("GET", link, params={"format": fmt}) as response:
        _raise_for_problem(response)
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("wb") as sink:
            for piece in response.iter_bytes(BLOCK):
                written += sink.write(piece)
    return written


def summary(client: httpx.Client, job: dict[str, Any]) -> dict[str, Any]:
    link = job["links"].get("summary") or f"{job['links']['self']}/summary"
    response = client.get(link)
    _raise_for_problem(response)
    result: dict[str, Any] = response.json()
    return result


def summary_table(counts: dict[str, Any], top: int = 8) -> Table:
    table = Table(title=f"{counts['rows']:,} rows, {counts['state']}", caption=counts["job_id"])
    table.add_column("status / reason")
    table.add_column("rows", justify="right")
    table.add_column("share", justify="right")
    rows = max(int(counts["rows"]), 1)
    for status, n in counts["by_status"].items():
        table.add_row(f"[bold]{status}[/bold]", f"{n:,}", f"{n / rows:.1%}")
    table.add_section()
    for reason, n in list(counts["by_reason"].items())[:top]:
        table.add_row(reason, f"{n:,}", f"{n / rows:.1%}")
    table.add_section()
    table.add_row("fields checked", f"{counts['fields_checked']:,}", "")
    table.add_row("fee", f"{counts['fee_vnd']:,} VND", "")
    return table


def execute(
    options: CleanOptions,
    *,
    console: Console,
    out: Console | None = None,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Run the whole job; the exit status (0, 1 on an API problem, 130 on Ctrl-C)."""
    out = out or console
    headers = {"X-API-Key": options.api_key}
    job: dict[str, Any] | None = None
    with httpx.Client(
        base_url=options.url, headers=headers, transport=transport, timeout=TIMEOUT
    ) as client:
        try:
            job = upload(client, options, console)
            console.print(f"job [bold]{job['id']}[/bold]: {job['rows_received']:,} rows received")
            job = wait(client, job, console, options.poll, sleep)
            if job["state"] == "failed":
                console.print(f"[red]JOB_FAILED[/red]: {job.get('error') or 'the job failed'}")
                return 1
            if job["state"] == "cancelled":
                console.print("[yellow]The job was cancelled; results so far follow.[/yellow]")
            written = download(client, job, options.out)
            console.print(f"results: {options.out} ({written:,} bytes)")
            out.print(summary_table(summary(client, job)))
        except ApiProblem as problem:
            console.print(f"[red]{problem.code}[/red] (HTTP {problem.status}): {problem.detail}")
            return 1
        except httpx.HTTPError as error:
            console.print(f"[red]HTTP error[/red] talking to {options.url}: {error}")
            return 1
        except KeyboardInterrupt:
            if job is None:
                console.print("[yellow]Upload interrupted; the server keeps nothing.[/yellow]")
            else:
                url = f"{options.url.rstrip('/')}{job['links']['self']}"
                console.print(f"[yellow]Stopped; job {job['id']} goes on at {url}[/yellow]")
            return 130
    return 0


def clean(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="The file: CSV or NDJSON.")
    ],
    sector: Annotated[
        str, typer.Option(help="telecom, bank, social_insurance, hospital or custom.")
    ],
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Results: .csv or .ndjson/.jsonl; default FILE-results.csv beside FILE."
        ),
    ] = None,
    purpose: Annotated[
        str | None,
        typer.Option(help="Your purpose, e.g. kyc_refresh; default: your one cleaning purpose."),
    ] = None,
    mapping: Annotated[
        list[str] | None, typer.Option("--map", help="FIELD:COLUMN, repeatable.")
    ] = None,
    input_format: Annotated[
        str | None, typer.Option("--format", help="csv or ndjson; default from FILE's suffix.")
    ] = None,
    url: Annotated[str, typer.Option(envvar="POPREG_URL", help="The API.")] = (
        "http://127.0.0.1:8000"
    ),
    api_key: Annotated[
        str | None, typer.Option(envvar="POPREG_API_KEY", help="Your agency's API key.")
    ] = None,
    poll: Annotated[float, typer.Option(min=0.05, help="Seconds between progress checks.")] = 1.0,
) -> None:
    """Clean a file with a cleaning job: upload, wait, download the results, print the summary.

    Example: [cyan]popreg clean subscribers.csv --sector telecom --purpose
    subscriber_verification --out results.csv[/cyan] (key in [cyan]POPREG_API_KEY[/cyan]).
    """
    err = Console(stderr=True)
    chosen = input_format or SUFFIXES.get(file.suffix.lower())
    if chosen not in MEDIA_TYPES:
        err.print(f"[red]Say --format csv or --format ndjson[/red] (not sure about {file.name}).")
        raise typer.Exit(2)
    if not api_key:
        err.print("[red]An API key is needed:[/red] --api-key or POPREG_API_KEY.")
        raise typer.Exit(2)
    out_path = out_path or file.with_name(f"{file.stem}-results.csv")
    options = CleanOptions(
        file, sector, purpose, mapping or [], chosen, out_path, url, api_key, poll
    )
    raise typer.Exit(execute(options, console=err, out=Console()))
