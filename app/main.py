"""The application factory."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from app import __version__, agencies, dashboard, health, sandbox
from app.audit.indexer import AuditIndexer
from app.audit.router import router as audit_router
from app.audit.writer import AuditWriter
from app.auth.cache import CredentialCache
from app.auth.changes import credential_watcher
from app.auth.router import router as auth_router
from app.auth.throttle import CredentialThrottle
from app.auth.tokens import TokenService
from app.citizen.router import router as citizen_router
from app.cleaning.router import router as cleaning_router
from app.cleaning.worker import CleaningWorker
from app.config import DashboardAccess, Mode, Settings, get_settings
from app.db import Database, tune_collector
from app.events.civil_router import router as civil_router
from app.events.dispatcher import WebhookDispatcher
from app.events.router import router as events_router
from app.extracts.router import router as extracts_router
from app.extracts.worker import ExtractWorker
from app.identity.fastpath import LookupFastPath
from app.identity.router import router as identity_router
from app.jobs import ChunkWorker
from app.limits import RateLimitHeadersMiddleware, build_limiter
from app.logs import configure_logging
from app.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from app.openapi import build_openapi
from app.problems import install_problem_handlers
from app.records.router import router as records_router
from app.schema import SchemaOutOfDateError, require_current_schema
from app.statistics.router import router as statistics_router
from app.text_guard import NulGuardMiddleware
from app.usage.router import router as usage_router

logger = logging.getLogger("popreg")

DESCRIPTION = """\
**popreg** is a sandbox of a national population database, modelled on Vietnam's
national population database (Project 06). It serves identity lookup, per-field
verification, bulk data cleaning, purpose-bound data sharing and life-event feeds.

> **Sandbox — synthetic data only.** Every citizen here was generated. popreg
> never holds real personal data.

Errors are [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) problem documents
(`application/problem+json`) with a stable `code` and the `request_id`. Every
response carries `X-Request-ID`; send your own to correlate logs.
"""

TAGS = [
    {"name": "identity", "description": "Look up citizens and verify claimed identities."},
    {"name": "agencies", "description": "The calling agency, its policy and its API keys."},
    {
        "name": "auth",
        "description": "OAuth2 client credentials: exchange an API key for a short-lived JWT.",
    },
    {"name": "audit", "description": "The tamper-evident audit log of every access."},
    {
        "name": "citizen",
        "description": "A citizen's own view: record, who read it (data tracker), consents.",
    },
    {
        "name": "cleaning",
        "description": "Bulk data cleaning: upload what you hold, get a verdict per row.",
    },
    {
        "name": "extracts",
        "description": "Purpose-bound cohort extracts (e.g. everyone aged 75+ of a province for "
        "the social pension): a durable job, rows streamed as NDJSON or CSV with only the "
        "purpose's fields, an audit record per citizen.",
    },
    {
        "name": "civil registry",
        "description": "Record births, deaths, moves, marriages, divorces, name changes, card "
        "re-issues and ID corrections (civil-registry agencies or the admin token). Each "
        "change is a life event in the change feed and in webhooks.",
    },
    {
        "name": "events",
        "description": "Follow life events: the change feed (cursor pagination) and signed "
        "webhooks with retries, a delivery log and redelivery.",
    },
    {"name": "admin", "description": "Agencies and policies (admin token required)."},
    {
        "name": "sandbox",
        "description": "Fixed test personas present in every seeded registry, random "
        "samples of citizens for simulators (admin), and fault injection: rules and the "
        "`X-Sandbox-Fault` header that make the sandbox fail on purpose (admin).",
    },
    {
        "name": "statistics",
        "description": "Population counts for planning, grouped and filtered, under "
        "statistical disclosure control: small counts suppressed (with complements, so "
        "totals do not give them away), the rest rounded; audited as aggregate access.",
    },
    {"name": "health", "description": "Liveness and readiness probes."},
]


# What a browser app on an allowed origin (POPREG_CORS_ORIGINS) may send and read.
CORS_REQUEST_HEADERS = [
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "X-API-Key",
    "X-Purpose",
    "X-Request-ID",
]
CORS_RESPONSE_HEADERS = [
    "Location",
    "RateLimit-Limit",
    "RateLimit-Policy",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "Retry-After",
    "X-Request-ID",
]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    database: Database = app.state.database
    try:
        state = await run_in_threadpool(require_current_schema, database.engine)
    except SchemaOutOfDateError as exc:
        database.dispose()
        logger.error("refusing to start: %s", exc)
        raise
    except SQLAlchemyError as exc:
        database.dispose()
        logger.error("refusing to start: the database is not reachable")
        raise RuntimeError("the database is not reachable; check POPREG_DATABASE_URL") from exc
    database.start()
    credentials: CredentialCache = app.state.credentials
    credentials.start()  # hear of key and policy changes made by other processes
    indexer = AuditIndexer(database)
    indexer.start()
    settings: Settings = app.state.settings
    workers: list[ChunkWorker[Any, Any, Any]] = [
        CleaningWorker(
            database, lease_seconds=settings.cleaning_lease_seconds, name=f"cleaning-{n}"
        )
        for n in range(settings.cleaning_workers)
    ]
    workers += [
        ExtractWorker(database, lease_seconds=settings.cleaning_lease_seconds, name=f"extract-{n}")
        for n in range(settings.extract_workers)
    ]
    for worker in workers:
        worker.start()
    dispatcher: WebhookDispatcher = app.state.dispatcher
    if settings.webhooks:
        dispatcher.start()
    # What start-up built (modules, routes, metadata, caches) lives as long as the
    # process: moved out of the collector's sight, a full collection no longer walks
    # it (about 90 ms every few seconds under load, the slowest requests' wait).
    gc.freeze()
    tune_collector()
    logger.info(
        "popreg ready",
        extra={"fields": {"database": database.dialect, "schema_revision": state.current}},
    )
    try:
        yield
    finally:
        # A chunk being processed is finished first (or, if that takes too long,
        # taken over by another worker when its lease runs out).
        for worker in workers:
            await run_in_threadpool(worker.stop)
        await dispatcher.stop()
        await indexer.stop()
        await app.state.audit.close()
        if app.state.limiter is not None:
            await app.state.limiter.aclose()
        await app.state.throttle.aclose()
        await run_in_threadpool(credentials.stop)
        database.dispose()


class PopregApp(FastAPI):
    """FastAPI behind popreg's own edge: request context, rate-limit headers, lookup fast path.

    These pure-ASGI layers sit in front of FastAPI's middleware stack rather than
    inside it, so the hot lookup is answered without entering FastAPI at all.
    """

    edge: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.edge is None:
            await super().__call__(scope, receive, send)
        else:
            await self.edge(scope, receive, send)

    async def framework(self, scope: Scope, receive: Receive, send: Send) -> None:
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the popreg ASGI app; ``uvicorn --factory app.main:create_app`` serves it."""
    settings = settings or get_settings()
    configure_logging(settings)
    app = PopregApp(
        title="popreg",
        version=__version__,
        summary="Population registry sandbox with synthetic citizens.",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.database = Database(settings)
    app.state.credentials = CredentialCache(
        settings.credential_cache_seconds, credential_watcher(settings.database_url)
    )
    app.state.tokens = TokenService(app.state.database, settings.token_lifetime_seconds)
    app.state.audit = AuditWriter(app.state.database, enabled=settings.audit_enabled)
    app.state.dispatcher = WebhookDispatcher(app.state.database, app.state.audit, settings)
    app.state.limiter = build_limiter(settings.redis_url) if settings.rate_limits else None
    app.state.throttle = CredentialThrottle(settings)
    install_problem_handlers(app)
    uploads: dict[str, int | None] = {"/v1/cleaning/jobs": settings.cleaning_max_upload_bytes}
    # Added first, so inside the size limit: it reads only bodies the limit let through.
    app.add_middleware(NulGuardMiddleware, unread=tuple(uploads))
    app.add_middleware(
        BodySizeLimitMiddleware, max_bytes=settings.max_request_body_bytes, limits=uploads
    )
    edge: ASGIApp = RateLimitHeadersMiddleware(
        LookupFastPath(
            app.framework,
            database=app.state.database,
            credentials=app.state.credentials,
            audit=app.state.audit,
            limiter=app.state.limiter,
            throttle=app.state.throttle,
        )
    )
    app.state.faults = sandbox.FaultRules(
        app.state.database, refresh_seconds=settings.fault_refresh_seconds
    )
    if settings.mode is Mode.SANDBOX:  # hardened: no layer, no header, stored rules ignored
        edge = sandbox.FaultInjectionMiddleware(
            edge,
            faults=app.state.faults,
            database=app.state.database,
            credentials=app.state.credentials,
            tokens=app.state.tokens,
            audit=app.state.audit,
        )
    app.state.metrics = dashboard.TrafficMetrics()
    if settings.dashboard_access is not DashboardAccess.OFF:  # its only reader
        edge = dashboard.MetricsMiddleware(edge, app.state.metrics)
    if settings.cors_origins:  # closed by default: no CORS headers at all
        edge = CORSMiddleware(
            edge,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=CORS_REQUEST_HEADERS,
            expose_headers=CORS_RESPONSE_HEADERS,
            max_age=600,
        )
    app.edge = RequestContextMiddleware(edge, access_log=settings.access_log)
    app.include_router(health.router)
    app.include_router(sandbox.router)
    app.include_router(sandbox.faults_router)
    app.include_router(identity_router)
    app.include_router(auth_router)
    app.include_router(agencies.router)
    app.include_router(agencies.admin_router)
    app.include_router(audit_router)
    app.include_router(citizen_router)
    app.include_router(usage_router)
    app.include_router(cleaning_router)
    app.include_router(civil_router)
    app.include_router(events_router)
    app.include_router(statistics_router)
    app.include_router(extracts_router)
    app.include_router(records_router)
    if settings.dashboard_access is not DashboardAccess.OFF:
        app.include_router(dashboard.router)
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]
    return app
