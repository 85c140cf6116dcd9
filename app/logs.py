"""Structured logs: one JSON object per line, carrying the request id and never personal data.

Callers pass facts as ``extra={"fields": {...}}``; messages are fixed strings.
Exception messages are left out (they may quote data); type and stack (file, line
and function of each frame) stay.
"""

from __future__ import annotations

import logging
import sys
import traceback
from datetime import UTC, datetime
from typing import Any

import orjson

from app.config import LogFormat, Settings
from app.problems import request_id_var


def _stack_without_message(exc_info: Any) -> str:
    """Each frame's file, line and function, and the exception's type.

    No source text either: a frame's line of code can hold a literal (a test's
    sample citizen), and file and line number find it all the same.
    """
    exc_type, _exc, tb = exc_info
    frames = "".join(
        f'  File "{frame.f_code.co_filename}", line {line}, in {frame.f_code.co_name}\n'
        for frame, line in traceback.walk_tb(tb)
    )
    return f"{frames}{exc_type.__module__}.{exc_type.__qualname__}"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info and record.exc_info[0] is not None:
            entry["exc_type"] = record.exc_info[0].__name__
            entry["stack"] = _stack_without_message(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class ConsoleFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict) and fields:
            text += " " + " ".join(f"{k}={v}" for k, v in fields.items())
        return text

    def formatException(self, ei: Any) -> str:
        return _stack_without_message(ei)


class _PopregHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler popreg installed, so reconfiguring replaces it and nothing else."""


def configure_logging(settings: Settings) -> None:
    """Route every logger (uvicorn's too) through one handler on stderr."""
    handler = _PopregHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if settings.log_format is LogFormat.JSON else ConsoleFormatter()
    )
    root = logging.getLogger()
    # Replace only our own handler, so that handlers others installed (pytest's) stay.
    root.handlers[:] = [h for h in root.handlers if not isinstance(h, _PopregHandler)]
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # Alembic narrates every revision lookup at INFO (readiness probes ask often).
    logging.getLogger("alembic").setLevel(max(root.level, logging.WARNING))
    # httpx logs every webhook delivery's URL at INFO; the delivery log already has them.
    logging.getLogger("httpx").setLevel(max(root.level, logging.WARNING))
    # uvicorn's access log prints raw paths, which can hold personal IDs.
    logging.getLogger("uvicorn.access").disabled = True
