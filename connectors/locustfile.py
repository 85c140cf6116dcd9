"""Locust users for every connector: load-test popreg with the agencies' own workflows.

    locust -f connectors/locustfile.py --host http://127.0.0.1:8000

One user class per connector that ``connectors.discover()`` finds (built-in and
plugins), weighted by a national mix (telecoms and banks call the registry most,
the civil registry least), each running its connector's tasks with their weights.
See docs/load-testing.md.

The connectors are not re-written for Locust: each user runs its connector's own
task coroutines, unchanged, on one asyncio loop per Locust process. The loop runs
in a greenlet of its own (gevent makes its selector cooperative), and the
connectors' HTTP client gets a transport that hands each request to a greenlet
sending it through the user's Locust client, so Locust times and counts every call.

Environment:

- ``POPREG_API_KEY_<AGENCY>``: a key for an agency (``POPREG_API_KEY_PHUSA_BANK``);
  default: the demo agency's documented key.
- ``POPREG_ADMIN_TOKEN``: to draw each user's citizens (default: the sandbox's).
- ``POPREG_LOCUST_WEIGHTS``: ``bank=5,telecom=1``: weights by connector name, over
  the defaults by sector.
- ``POPREG_LOCUST_USER_RATE``: steps per second per user (default: no pause).
- ``POPREG_LOCUST_OAUTH2``: ``true`` to exchange keys for OAuth2 tokens.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import random
import re
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, TypeVar, cast

import gevent  # type: ignore[import-untyped]
import httpx
from locust import constant, constant_throughput
from locust.contrib.fasthttp import FastHttpUser
from locust.exception import StopUser

from app.config import DEFAULT_ADMIN_TOKEN
from connectors.base import Connector
from connectors.calls import Call, CallLog, problem_code
from connectors.cli import api_key_variable
from connectors.client import Credentials, RegistryClient
from connectors.registry import discover

logger = logging.getLogger("popreg.connectors")
logging.getLogger("httpx").setLevel(logging.WARNING)  # Locust logs at INFO: not every request

# Users per sector, roughly as often as each calls the registry in Vietnam: SIM
# registration and bank eKYC dominate; hospitals check in patients daily; portals,
# social insurance, ministries and civil registries call far less often.
SECTOR_WEIGHTS: dict[str, int] = {
    "telecom": 30,
    "bank": 30,
    "hospital": 15,
    "local_government": 8,
    "social_insurance": 6,
    "ministry": 4,
    "civil_registry": 3,
}
DEFAULT_WEIGHT = 5
TEARDOWN_SECONDS = 10.0

# Answers that are a failure of the server or of the load test, not a workflow's answer:
# no answer, 5xx, bad credentials, throttling (raise or turn off the limits), and requests
# that should never have been sent (malformed, no such route, too large). Denials (403),
# unknown citizens (404), conflicts (409) and refusals by rule (422) are answers.
FAILURE_STATUSES = frozenset({400, 401, 405, 413, 415, 429})
MALFORMED_CODES = frozenset({"VALIDATION_FAILED", "MALFORMED_JSON", "NOT_FOUND"})
# Locust's client sets these itself, for the body it sends and the one it decodes.
HOP_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "accept-encoding"}
)
DECODED_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})

T = TypeVar("T")
# The task a request belongs to, for its stats name (each step runs in a context of its own).
TASK: contextvars.ContextVar[str] = contextvars.ContextVar("task", default="setup")
_loop: asyncio.AbstractEventLoop | None = None


def event_loop() -> asyncio.AbstractEventLoop:
    """This process's asyncio loop, running in a greenlet (started on first use)."""
    global _loop
    if _loop is None:
        _loop = asyncio.new_event_loop()
        gevent.spawn(_loop.run_forever)
    return _loop


def on_loop(task: str, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
    """Run a coroutine on the loop; this greenlet waits (others run meanwhile)."""
    future = asyncio.run_coroutine_threadsafe(_as_task(task, coroutine), event_loop())
    try:
        return future.result(timeout)
    except BaseException:  # the user is stopped (GreenletExit) or gave up: stop the step too
        future.cancel()
        raise


async def _as_task(task: str, coroutine: Coroutine[Any, Any, T]) -> T:
    TASK.set(task)
    return await coroutine


def route_name(path: str) -> str:
    """``/v1/citizens/079085000103`` → ``/v1/citizens/{id}``: one stats row per route."""
    return "/".join("{id}" if _is_id(segment) else segment for segment in path.split("/"))


def _is_id(segment: str) -> bool:
    """A personal ID, legacy ID, job or subscription id: digits, or long with digits (not v1)."""
    return segment.isdigit() or (len(segment) >= 6 and any(c.isdigit() for c in segment))


def is_failure(status: int, code: str | None) -> bool:
    if status == 0 or status >= 500 or status in FAILURE_STATUSES:
        return True
    return status in (404, 422) and code in MALFORMED_CODES


class LocustTransport(httpx.AsyncBaseTransport):
    """Sends each request from a greenlet, through the user's Locust client."""

    def __init__(self, user: ConnectorUser) -> None:
        self.user = user

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        name = f"{self.user.connector_class.name}.{TASK.get()} {route_name(request.url.path)}"
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[httpx.Response] = loop.create_future()

        def exchange() -> None:
            try:
                response = self.user.send(request, name)
            except Exception as error:
                loop.call_soon_threadsafe(_settle, answer, None, error)
            else:
                loop.call_soon_threadsafe(_settle, answer, response, None)

        gevent.spawn(exchange)
        return await answer


def _settle(
    future: asyncio.Future[httpx.Response],
    response: httpx.Response | None,
    error: Exception | None,
) -> None:
    if future.done():  # the step was cancelled meanwhile
        return
    if response is not None:
        future.set_result(response)
    else:
        future.set_exception(error or RuntimeError("no answer"))


class ConnectorUser(FastHttpUser):
    """A Locust user that runs one connector's tasks (subclassed once per connector)."""

    abstract = True
    connector_class: type[Connector]
    connector: Connector

    def on_start(self) -> None:
        if not self.host:
            raise StopUser("no --host: give the registry's URL, e.g. --host http://127.0.0.1:8000")
        code = self.connector_class.agency
        credentials = Credentials(
            agency=code,
            api_key=os.environ.get(api_key_variable(code)) or _demo_key(code),
            mode="oauth2" if _flag("POPREG_LOCUST_OAUTH2") else "api_key",
        )
        http = httpx.AsyncClient(transport=LocustTransport(self), base_url=self.host)
        rng = random.Random()  # noqa: S311 - simulation
        registry = RegistryClient(
            http, credentials, connector=self.connector_class.name, log=_NoLog(), rng=rng
        )
        admin_token = os.environ.get("POPREG_ADMIN_TOKEN") or DEFAULT_ADMIN_TOKEN
        self.connector = self.connector_class(registry, admin_token=admin_token, rng=rng)
        try:
            on_loop("setup", self.connector.setup())
        except Exception as error:  # reported once, then this user stops
            self.environment.events.user_error.fire(
                user_instance=self, exception=error, tb=error.__traceback__
            )
            raise StopUser from error

    def on_stop(self) -> None:
        if hasattr(self, "connector"):
            on_loop("teardown", self.connector.teardown(), TEARDOWN_SECONDS)

    def run_task(self, name: str) -> None:
        on_loop(name, getattr(self.connector, name)())

    def send(self, request: httpx.Request, name: str) -> httpx.Response:
        """One HTTP exchange through Locust's client; a failure only if the server failed."""
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
        with self.client.request(
            request.method,
            str(request.url),
            name=name,
            data=cast(str, request.content) if request.content else None,  # bytes are sent as is
            headers=headers,
            catch_response=True,
        ) as answer:
            status = answer.status_code
            if status == 0:
                error = getattr(answer, "error", None)
                answer.failure(f"no answer: {error}")
                raise httpx.ConnectError(str(error), request=request)
            response = httpx.Response(
                status,
                headers=[
                    (k, v)
                    for k, v in (answer.headers or {}).items()
                    if k.lower() not in DECODED_HEADERS
                ],
                content=answer.content or b"",
                request=request,
            )
            code = problem_code(response)
            if is_failure(status, code):
                answer.failure(f"HTTP {status} {code or ''}".strip())
            else:
                answer.success()
        return response


class _NoLog(CallLog):
    """Locust keeps the statistics: the connector's own call log would only grow."""

    def add(self, call: Call) -> None:
        pass


def _demo_key(agency: str) -> str:
    from app.agencies.keys import demo_api_key

    return demo_api_key(agency).secret


def _flag(variable: str) -> bool:
    return os.environ.get(variable, "").strip().lower() in ("1", "true", "yes")


def _weights_from_env() -> dict[str, int]:
    weights: dict[str, int] = {}
    for item in os.environ.get("POPREG_LOCUST_WEIGHTS", "").split(","):
        name, _, weight = item.partition("=")
        if name.strip() and weight.strip():
            weights[name.strip()] = int(weight)
    return weights


def _task(name: str) -> Callable[[ConnectorUser], None]:
    def run(user: ConnectorUser) -> None:
        user.run_task(name)

    run.__name__ = name
    return run


def user_classes() -> dict[str, type[ConnectorUser]]:
    """A Locust user class per connector, named ``BankUser`` for ``bank``."""
    found, broken = discover()
    for failed in broken:
        logger.warning("skipping the broken connector plugin %s: %s", failed.name, failed.error)
    overrides = _weights_from_env()
    rate = os.environ.get("POPREG_LOCUST_USER_RATE")
    wait_time = constant_throughput(float(rate)) if rate else constant(0)
    classes: dict[str, type[ConnectorUser]] = {}
    for name, entry in found.items():
        connector = entry.connector
        tasks: Mapping[Callable[[ConnectorUser], None], int] = {
            _task(task): weight for task, weight in connector.tasks.items()
        }
        class_name = "".join(part.title() for part in re.split(r"[^A-Za-z0-9]+", name)) + "User"
        classes[class_name] = type(
            class_name,
            (ConnectorUser,),
            {
                "__doc__": connector.title,
                "__module__": __name__,
                "connector_class": connector,
                "tasks": tasks,
                "weight": overrides.get(name, SECTOR_WEIGHTS.get(connector.sector, DEFAULT_WEIGHT)),
                "wait_time": wait_time,
            },
        )
    return classes


globals().update(user_classes())
