"""Refuses NUL characters (U+0000) in a request: 422 ``INVALID_CHARACTER``.

PostgreSQL text cannot hold NUL (the driver raises, which would be a 500) and
SQLite stores it, to surprise every later reader. So a NUL in the path, the
query string, or a JSON or form body is refused here, the same on both
databases, before any handler sees it. Upload bodies (CSV, NDJSON) are judged
row by row by the cleaning job instead.

Sits inside the body-size limit: a body read here is one the limit let through.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.problems import code_for_status, problem_response

CODE = "INVALID_CHARACTER"
_JSON_NUL = (b"\\u0000", b"\x00")
_FORM_NUL = (b"%00", b"\x00")


def _body_markers(scope: Scope) -> tuple[bytes, ...] | None:
    """What a NUL looks like in this request's body; None: the body is not checked."""
    if scope["method"] not in ("POST", "PUT", "PATCH"):
        return None
    content_type = (Headers(scope=scope).get("content-type") or "").split(";")[0].strip().lower()
    if not content_type or content_type == "application/json" or content_type.endswith("+json"):
        return _JSON_NUL  # FastAPI reads a body without a content type as JSON
    if content_type == "application/x-www-form-urlencoded":
        return _FORM_NUL
    return None


def _refused(scope: Scope, where: str) -> ASGIApp:
    return problem_response(
        status=422,
        code=CODE,
        title="Invalid character",
        detail=f"The request's {where} holds a NUL character (U+0000), which popreg never "
        "accepts in text.",
        instance=scope.get("path"),
        request_id=(scope.get("state") or {}).get("request_id"),
        errors=[{"field": where, "message": "NUL character (U+0000)", "type": "invalid_character"}],
    )


class NulGuardMiddleware:
    """``unread``: path prefixes whose bodies are not read here (streamed uploads with a
    limit of their own)."""

    def __init__(self, app: ASGIApp, *, unread: tuple[str, ...] = ()) -> None:
        self.app = app
        self.unread = unread

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"]:
            await _refused(scope, "path")(scope, receive, send)
            return
        query: bytes = scope.get("query_string", b"")
        if b"%00" in query or b"\x00" in query:
            await _refused(scope, "query")(scope, receive, send)
            return
        markers = _body_markers(scope)
        if markers is None or scope["path"].startswith(self.unread):
            await self.app(scope, receive, send)
            return
        try:
            body = await _read_body(receive)
        except HTTPException as exc:  # over the body-size limit
            response = problem_response(
                status=exc.status_code,
                code=code_for_status(exc.status_code),
                detail=exc.detail,
                instance=scope.get("path"),
                request_id=(scope.get("state") or {}).get("request_id"),
            )
            await response(scope, receive, send)
            return
        if any(marker in body for marker in markers):
            await _refused(scope, "body")(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: wait for the disconnect, as servers do

    return replay
