"""The lookup hot path without FastAPI's per-request machinery.

``GET /v1/citizens/{personal_id}`` with an API key already in the credential
cache is answered here: the same ``authorize`` and ``lookup_citizen`` the
FastAPI route calls, and the same problem documents, but without routing over
every route, dependency solving and parameter models (together about half the
cost of a lookup). Anything else (a bearer token, a key not cached yet, another
path) goes on to the FastAPI app, which also documents the endpoint in OpenAPI.
"""

from __future__ import annotations

import orjson
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.audit.writer import AuditWriter
from app.auth.cache import CredentialCache
from app.auth.service import cached_principal
from app.auth.throttle import CredentialThrottle
from app.db import Database
from app.identity import operations
from app.limits import Limiter, admit_call
from app.problems import ProblemError, render_problem

PREFIX = "/v1/citizens/"
ROUTE_TEMPLATE = "/v1/citizens/{personal_id}"


# The route's limits (PersonalIdPath in app/identity/router.py, PurposeHeader in
# app/auth/dependencies.py); past them the route answers 422 VALIDATION_FAILED.
MAX_PERSONAL_ID = 32
MAX_PURPOSE = 40


def _within_route_limits(personal_id: str, purpose: str | None) -> bool:
    return 0 < len(personal_id) <= MAX_PERSONAL_ID and (
        purpose is None or len(purpose) <= MAX_PURPOSE
    )


class _RouteName:
    """Stands in for the route in ``scope["route"]``, which the access log reads."""

    path = ROUTE_TEMPLATE


class LookupFastPath:
    def __init__(
        self,
        app: ASGIApp,
        *,
        database: Database,
        credentials: CredentialCache,
        audit: AuditWriter,
        limiter: Limiter | None,
        throttle: CredentialThrottle,
    ) -> None:
        self.app = app
        self.throttle = throttle
        self.limiter = limiter
        self.database = database
        self.credentials = credentials
        self.audit = audit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not path.startswith(PREFIX)
            or "/" in path[len(PREFIX) :]
        ):
            await self.app(scope, receive, send)
            return
        api_key = purpose = None
        for name, value in scope["headers"]:
            if name == b"x-api-key":
                api_key = value.decode("latin-1")
            elif name == b"x-purpose":
                purpose = value.decode("latin-1")
        principal = cached_principal(self.credentials, api_key) if api_key else None
        # A locked address or key prefix (brute force) gets its 429 from the route, and
        # a value the route refuses (422) its problem document.
        if (
            principal is None
            or self.throttle.api_key_blocked(scope, api_key or "")
            or not _within_route_limits(path[len(PREFIX) :], purpose)
        ):
            await self.app(scope, receive, send)
            return
        scope["route"] = _RouteName
        request_id = (scope.get("state") or {}).get("request_id")
        try:
            await admit_call(
                scope.setdefault("state", {}),
                self.limiter,
                principal.agency_code,
                principal.limits,
            )
            document = await operations.lookup(
                self.database, self.audit, principal, purpose, path[len(PREFIX) :], request_id
            )
            response = Response(orjson.dumps(document), media_type="application/json")
        except ProblemError as exc:
            response = render_problem(exc, path, request_id)
        await response(scope, receive, send)
