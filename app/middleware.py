"""Pure ASGI middleware: request ids, access log, body size limit, last-resort 500s."""

from __future__ import annotations

import logging
import os
import re
import time
from typing import Any

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.db import database_unreachable
from app.problems import (
    internal_error_response,
    problem_response,
    request_id_var,
    unavailable_response,
)

REQUEST_ID_HEADER = b"x-request-id"
# Accept a caller's id only if it is short and harmless to echo and log.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
access_logger = logging.getLogger("popreg.access")
error_logger = logging.getLogger("popreg.errors")


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER:
            text = value.decode("latin-1")
            return text if _VALID_REQUEST_ID.match(text) else None
    return None


def _failure(exc: BaseException) -> dict[str, str]:
    """What kind of database failure: the driver's exception type and its error code.

    The code is PostgreSQL's SQLSTATE or SQLite's error name (``SQLITE_BUSY``); like
    every log line, no exception message (app/logs.py).
    """
    cause = getattr(exc, "orig", None) or exc
    fields = {"exc_type": f"{type(cause).__module__}.{type(cause).__qualname__}"}
    code = getattr(cause, "sqlstate", None) or getattr(cause, "sqlite_errorname", None)
    if code:
        fields["db_code"] = str(code)
    return fields


# API answers hold personal data: no browser or proxy keeps them, none sniffs their type.
API_PATHS = ("/v1/", "/oauth/")
_NOSNIFF = (b"x-content-type-options", b"nosniff")
_NO_STORE = (b"cache-control", b"no-store")


def _add_security_headers(headers: list[tuple[bytes, bytes]], api: bool) -> None:
    """``nosniff`` on every answer; ``no-store`` on API answers that set no caching."""
    names = [name for name, _ in headers]
    if b"x-content-type-options" not in names:
        headers.append(_NOSNIFF)
    if api and b"cache-control" not in names:
        headers.append(_NO_STORE)


def _route_template(scope: Scope) -> str:
    # The template, not the raw path: paths can carry personal IDs.
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "<unmatched>"


class RequestContextMiddleware:
    """Gives each request an id (``X-Request-ID``), logs it, and turns crashes into 500s."""

    def __init__(self, app: ASGIApp, *, access_log: bool = True) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or os.urandom(16).hex()
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False
        header_value = request_id.encode("latin-1")
        api = scope["path"].startswith(API_PATHS)

        async def send_with_request_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = [h for h in message.get("headers", []) if h[0] != REQUEST_ID_HEADER]
                headers.append((REQUEST_ID_HEADER, header_value))
                _add_security_headers(headers, api)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        except Exception as exc:
            unreachable = database_unreachable(exc)
            if unreachable:
                # An outage, not a bug: one line, no stack, for each request it fails.
                error_logger.warning(
                    "database unreachable",
                    extra={"fields": {"route": _route_template(scope), **_failure(exc)}},
                )
            else:
                error_logger.exception(
                    "unhandled error", extra={"fields": {"route": _route_template(scope)}}
                )
            if response_started:
                return  # the 500 or 503 was sent (ServerErrorMiddleware); logged once, here
            path = scope.get("path", "")
            if unreachable:
                status = 503
                response = unavailable_response(path, request_id)
            else:
                status = 500
                response = internal_error_response(path, request_id)
            await response(scope, receive, send)
        finally:
            if self.access_log:
                access_logger.info(
                    "request",
                    extra={
                        "fields": {
                            "method": scope["method"],
                            "route": _route_template(scope),
                            "status": status,
                            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                        }
                    },
                )
            request_id_var.reset(token)


class BodySizeLimitMiddleware:
    """Refuses request bodies over ``max_bytes`` with 413, by header or while streaming.

    ``limits`` maps path prefixes to their own limit (``None``: unlimited, for
    streamed uploads that are stored as they arrive).
    """

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, limits: dict[str, int | None] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.limits = sorted((limits or {}).items(), key=lambda item: -len(item[0]))

    def _limit_for(self, path: str) -> int | None:
        for prefix, limit in self.limits:
            if path.startswith(prefix):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        limit = self._limit_for(scope["path"])
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._too_large(scope, limit)(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, f"The request body exceeds {limit} bytes.")
            return message

        await self.app(scope, limited_receive, send)

    @staticmethod
    def _too_large(scope: Scope, limit: int) -> Any:
        return problem_response(
            status=413,
            code="PAYLOAD_TOO_LARGE",
            detail=f"The request body exceeds {limit} bytes.",
            instance=scope["path"],
            request_id=(scope.get("state") or {}).get("request_id"),
        )
