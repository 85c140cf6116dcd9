"""Fault injection at the edge: a pure ASGI layer behind the request context.

A request is faulted when it carries ``X-Sandbox-Fault`` or when a rule matches it
(route, method, agency, then the rule's probability; rules are tried oldest first
and at most one fault is injected). With no rule and no header the cost is one
clock read and a scan of the request headers (about half a microsecond): no
database read and nothing allocated per request. The layer is installed in sandbox mode only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.audit.records import AuditEntry
from app.audit.writer import AuditWriter
from app.auth.cache import CredentialCache
from app.auth.service import authenticate_api_key, cached_principal, needs_database
from app.auth.tokens import TokenService
from app.db import Database
from app.problems import ProblemError, problem_response, render_problem
from app.sandbox.faults_cache import FaultRules
from app.sandbox.faults_errors import InvalidFaultHeaderError
from app.sandbox.faults_rules import (
    HEADER,
    HEADER_KEY,
    INJECTED_HEADER,
    Effect,
    FaultKind,
    Rule,
    is_exempt,
    loggable_path,
    parse_header,
)

logger = logging.getLogger("popreg.faults")
INJECTED_CODE = "INJECTED_FAULT"
# The status a dropped request shows in the access log (nginx's "no response"); it is
# never sent: see ``_drop``.
DROPPED_STATUS = 444
_UNRESOLVED: Any = object()


class FaultInjectionMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        faults: FaultRules,
        database: Database,
        credentials: CredentialCache,
        tokens: TokenService,
        audit: AuditWriter,
    ) -> None:
        self.app = app
        self.faults = faults
        self.database = database
        self.credentials = credentials
        self.tokens = tokens
        self.audit = audit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        faults = self.faults
        if time.monotonic() >= faults.next_refresh and not is_exempt(scope["path"]):
            await faults.refresh()  # about once a second; never on a health probe
        header = None
        for name, value in scope["headers"]:
            if name == HEADER_KEY:
                header = value
                break
        if (header is None and not faults.rules) or is_exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        if header is not None:
            await self._forced(scope, receive, send, header.decode("latin-1"))
        else:
            await self._by_rules(scope, receive, send, faults.rules)

    async def _forced(self, scope: Scope, receive: Receive, send: Send, value: str) -> None:
        try:
            effect = parse_header(value)
        except ValueError as exc:
            problem = InvalidFaultHeaderError(str(exc))
            await render_problem(problem, scope["path"], _request_id(scope))(scope, receive, send)
            return
        await self._inject(scope, receive, send, effect, None, _UNRESOLVED, value)

    async def _by_rules(
        self, scope: Scope, receive: Receive, send: Send, rules: tuple[Rule, ...]
    ) -> None:
        method: str = scope["method"]
        path: str = scope["path"]
        now = time.time()
        agency: str | None = _UNRESOLVED
        for rule in rules:
            if not rule.matches(method, path, now):
                continue
            if rule.agency is not None:
                if agency is _UNRESOLVED:
                    agency = await self._agency(scope)
                if agency != rule.agency:
                    continue
            if rule.probability < 1 and self.faults.rng.random() >= rule.probability:
                continue
            self.faults.hit(rule.id)
            await self._inject(scope, receive, send, rule.effect, rule, agency, None)
            return
        await self.app(scope, receive, send)

    async def _inject(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        effect: Effect,
        rule: Rule | None,
        agency: str | None,
        header: str | None,
    ) -> None:
        if agency is _UNRESOLVED:
            agency = await self._agency(scope)
        label = rule.id if rule is not None else "header"
        delay_ms = effect.delay_ms(self.faults.rng) if effect.kind is FaultKind.LATENCY else None
        await self._record(scope, effect, rule, agency, header, delay_ms)
        marker = (INJECTED_HEADER, label.encode("latin-1"))
        if effect.kind is FaultKind.ERROR:
            await self._error(scope, effect, rule, header)(scope, receive, send)
        elif effect.kind is FaultKind.DROP:
            await _drop(send, marker)
        elif effect.kind is FaultKind.LATENCY:
            await asyncio.sleep((delay_ms or 0.0) / 1000)
            await self.app(scope, receive, _marking(send, marker))
        else:
            assert effect.bytes_per_second is not None
            await self.app(scope, receive, _slow_body(send, effect.bytes_per_second, marker))

    @staticmethod
    def _error(scope: Scope, effect: Effect, rule: Rule | None, header: str | None) -> Any:
        status = effect.status or 503
        if rule is not None:
            label = rule.id
            why = (
                f"sandbox fault rule {rule.id} ({effect.summary()}); "
                f"DELETE /v1/sandbox/faults/{rule.id} removes it"
            )
        else:
            label = "header"
            why = f"the request's {HEADER}: {header} header"
        headers = {"X-Sandbox-Fault-Injected": label}
        if status == 503:
            headers["Retry-After"] = str(
                effect.retry_after if effect.retry_after is not None else 1
            )
        return problem_response(
            status=status,
            code=INJECTED_CODE,
            detail=f"Injected on purpose by {why}. This is not a real failure.",
            instance=scope["path"],
            request_id=_request_id(scope),
            headers=headers,
            extensions={"injected_by": label},
        )

    async def _record(
        self,
        scope: Scope,
        effect: Effect,
        rule: Rule | None,
        agency: str | None,
        header: str | None,
        delay_ms: float | None,
    ) -> None:
        """The audit record that tells an injected fault from a real one."""
        detail: dict[str, Any] = {
            "source": "rule" if rule is not None else "header",
            "kind": effect.kind.value,
            "method": scope["method"],
            "route": loggable_path(scope["path"]),
        }
        if rule is not None:
            detail.update(rule_id=rule.id, rule_route=rule.route)
        else:
            detail["header"] = header
        if effect.status is not None:
            detail["status"] = effect.status
        if delay_ms is not None:
            detail["ms"] = round(delay_ms)
        if effect.bytes_per_second is not None:
            detail["bytes_per_second"] = effect.bytes_per_second
        entry = AuditEntry(
            operation="fault_injected",
            outcome="injected",
            agency_code=agency,
            code=INJECTED_CODE,
            request_id=_request_id(scope),
            detail=detail,
        )
        try:
            await self.audit.record(entry)
        except ProblemError:
            # The fault is still injected: the tester asked for it, and the audit log
            # being down is logged by the writer itself.
            logger.warning("fault injected without its audit record")

    async def _agency(self, scope: Scope) -> str | None:
        """The calling agency: API key (credential cache, else the database), or token."""
        api_key = authorization = None
        for name, value in scope["headers"]:
            if name == b"x-api-key":
                api_key = value.decode("latin-1")
            elif name == b"authorization":
                authorization = value.decode("latin-1")
        if api_key:
            principal = cached_principal(self.credentials, api_key)
            if principal is None and needs_database(self.credentials, api_key):
                try:
                    principal = await run_in_threadpool(
                        authenticate_api_key, self.database, self.credentials, api_key
                    )
                except Exception:  # an invalid key, or the database down: no agency
                    return None
            return principal.agency_code if principal is not None else None
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        try:
            # Verified, not merely decoded: the audit record names the agency.
            claims = await run_in_threadpool(self.tokens.verify, token.strip())
        except Exception:  # not an agency token (the admin token, a citizen's, expired)
            return None
        return claims.subject


def _request_id(scope: Scope) -> str | None:
    request_id = (scope.get("state") or {}).get("request_id")
    return str(request_id) if request_id else None


def _marking(send: Send, marker: tuple[bytes, bytes]) -> Send:
    async def marked(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), marker]
        await send(message)

    return marked


def _slow_body(send: Send, bytes_per_second: int, marker: tuple[bytes, bytes]) -> Send:
    """The response as the app gives it, its body paced at ``bytes_per_second``."""
    step = max(1, bytes_per_second // 10)  # about ten writes a second
    marked = _marking(send, marker)

    async def paced(message: Message) -> None:
        body = message.get("body", b"") if message["type"] == "http.response.body" else b""
        if not body:
            await marked(message)
            return
        more_body = message.get("more_body", False)
        for start in range(0, len(body), step):
            chunk = body[start : start + step]
            await asyncio.sleep(len(chunk) / bytes_per_second)
            last = start + step >= len(body)
            await send(
                {"type": "http.response.body", "body": chunk, "more_body": more_body or not last}
            )

    return paced


async def _drop(send: Send, marker: tuple[bytes, bytes]) -> None:
    """Close the connection without a response.

    ASGI has no message for that, but uvicorn (both its HTTP implementations) marks
    a response started before it checks the headers; a header value it refuses
    makes it write nothing, and when the app then returns without finishing the
    response it closes the connection. The client sees the server hang up, as when
    a process or a proxy dies mid-request. (In-process, ``httpx.ASGITransport``
    raises instead.)
    """
    name, value = marker
    start = {
        "type": "http.response.start",
        "status": DROPPED_STATUS,
        "headers": [(name, value + b"\x00")],
    }
    with contextlib.suppress(Exception):  # the refusal that cuts the connection
        await send(start)
