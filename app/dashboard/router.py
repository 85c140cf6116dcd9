"""The workshop dashboard: HTML pages, static files and a server-sent event stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from app.audit.writer import AuditWriter
from app.config import Settings
from app.dashboard import access, service
from app.dashboard.metrics import TrafficMetrics
from app.db import Database, SessionDep

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")
STATIC = {
    "dashboard.js": "text/javascript",
    "dashboard.css": "text/css",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
PersonalId = Annotated[str, Query(pattern=r"^[0-9]{12}$", description="A 12-digit personal ID.")]

router = APIRouter(include_in_schema=False)


def _secure(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    settings: Settings = request.app.state.settings
    context = {"access": settings.dashboard_access.value, "page": name, **context}
    return _secure(templates.TemplateResponse(request, f"{name}.html", context, status_code=status))


def _refused(request: Request) -> Response | None:
    try:
        access.require_viewer(request)
    except access.DashboardLoginRequired:
        return _page(request, "login", {"error": None}, status=401)
    return None


@router.get("/")
def overview(request: Request) -> Response:
    """Live traffic and the live audit feed."""
    return _refused(request) or _page(request, "index", {})


@router.get("/dashboard/policy")
def policy(request: Request, session: SessionDep) -> Response:
    """Agencies × purposes × fields."""
    return _refused(request) or _page(request, "policy", {"matrix": service.policy_matrix(session)})


@router.get("/dashboard/tracker")
async def tracker(
    request: Request, session: SessionDep, personal_id: PersonalId | None = None
) -> Response:
    """Every access to one citizen in plain words; viewing it is audited."""
    if refused := _refused(request):
        return refused
    records = None
    if personal_id is not None:
        audit: AuditWriter = request.app.state.audit
        request_id = request.scope.get("state", {}).get("request_id")
        await audit.record(service.tracker_view_entry(personal_id, request_id))
        records = await run_in_threadpool(service.tracker, session, personal_id)
    personas = await run_in_threadpool(service.personas, session)
    return _page(
        request,
        "tracker",
        {"personal_id": personal_id, "records": records, "personas": personas},
    )


@router.get("/dashboard/sandbox")
def sandbox(request: Request, session: SessionDep) -> Response:
    """Personas, cleaning jobs, webhook subscriptions and active fault rules."""
    if refused := _refused(request):
        return refused
    database: Database = request.app.state.database
    return _page(
        request,
        "sandbox",
        {
            "personas": service.personas(session),
            "jobs": service.cleaning_jobs(database),
            "subscriptions": service.subscriptions(database),
            "faults": service.fault_rules(session, request.app.state.faults.unflushed()),
        },
    )


@router.post("/dashboard/login")
def login(request: Request, token: Annotated[str, Form(max_length=500)]) -> Response:
    """Exchange the admin token for a short-lived signed cookie (``admin`` mode)."""
    settings: Settings = request.app.state.settings
    if not access.valid_token(settings, token):
        return _page(request, "login", {"error": "That is not the admin token."}, status=403)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        access.COOKIE,
        access.cookie_value(settings),
        max_age=access.COOKIE_SECONDS,
        httponly=True,
        samesite="strict",
        path="/",
    )
    return _secure(response)


@router.get("/dashboard/static/{name}")
def static(name: str) -> Response:
    if name not in STATIC:
        return _secure(Response(status_code=404))
    return _secure(FileResponse(HERE / "static" / name, media_type=STATIC[name]))


@router.get("/dashboard/stream")
async def stream(
    request: Request,
    events: Annotated[int | None, Query(ge=1, le=1000)] = None,
    interval: Annotated[float, Query(ge=0.05, le=10)] = 1.0,
) -> Response:
    """Server-sent events: traffic counters and new audit records, once a second.

    ``events`` ends the stream after that many events (for tests and curl).
    """
    if refused := _refused(request):
        return refused
    return _secure(
        StreamingResponse(
            _events(request, events, interval),
            media_type="text/event-stream",
            headers={"X-Accel-Buffering": "no"},
        )
    )


async def _events(request: Request, limit: int | None, interval: float) -> AsyncIterator[str]:
    database: Database = request.app.state.database
    metrics: TrafficMetrics = request.app.state.metrics
    after = max(0, await run_in_threadpool(service.newest_seq, database) - service.FEED_SIZE)
    sent = 0
    while limit is None or sent < limit:
        items = await run_in_threadpool(service.audit_after, database, after)
        if items:
            after = items[-1]["seq"]
        payload = {
            "traffic": metrics.snapshot(),
            "audit": service.audit_counters(items),
            "records": items,
        }
        yield f"event: tick\ndata: {json.dumps(payload, default=str)}\n\n"
        sent += 1
        if limit is not None and sent >= limit:
            break
        await asyncio.sleep(interval)
