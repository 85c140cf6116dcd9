"""The application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from app import __version__, health
from app.config import Settings, get_settings
from app.db import Database
from app.logs import configure_logging
from app.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from app.openapi import build_openapi
from app.problems import install_problem_handlers
from app.schema import SchemaOutOfDateError, require_current_schema

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

TAGS = [{"name": "health", "description": "Liveness and readiness probes."}]


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
    logger.info(
        "popreg ready",
        extra={"fields": {"database": database.dialect, "schema_revision": state.current}},
    )
    try:
        yield
    finally:
        database.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the popreg ASGI app; ``uvicorn --factory app.main:create_app`` serves it."""
    settings = settings or get_settings()
    configure_logging(settings)
    app = FastAPI(
        title="popreg",
        version=__version__,
        summary="Population registry sandbox with synthetic citizens.",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.database = Database(settings)
    install_problem_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_request_body_bytes)
    app.add_middleware(RequestContextMiddleware, access_log=settings.access_log)
    app.include_router(health.router)
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]
    return app
