"""A pytest plugin that tees every log record of the test run to one file.

``tests/security/test_logs.py`` runs last (``runs_last`` marker, moved to the
end of the collection here) and scans that file for personal data. Records are
written as the server writes them (``app.logs.JsonFormatter``: message, fields,
stack without exception messages). Tests that run server processes append their
stderr with ``record_server_output``.

The file is ``$POPREG_TEST_LOG_FILE`` if set (kept afterwards), else a
temporary file removed at the end of the run.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from pathlib import Path

import pytest

from app.logs import JsonFormatter

LOG_FILE_ENV = "POPREG_TEST_LOG_FILE"
_handler_key = pytest.StashKey["TeeHandler"]()


class TeeHandler(logging.Handler):
    """Appends each record, formatted as the server logs it, to ``path``."""

    def __init__(self, path: Path) -> None:
        super().__init__(logging.NOTSET)
        self.path = path
        self.setFormatter(JsonFormatter())
        self._file = path.open("a", encoding="utf-8")
        self._write_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # a record that cannot be formatted is written raw
            line = repr(record.msg)
        with self._write_lock:
            if not self._file.closed:
                self._file.write(line + "\n")
                self._file.flush()

    def close(self) -> None:
        with self._write_lock:
            self._file.close()
        super().close()


def log_file() -> Path | None:
    """The file this run's log records go to."""
    path = os.environ.get(LOG_FILE_ENV)
    return Path(path) if path else None


def record_server_output(output: str | bytes) -> None:
    """Append what a server process wrote to stderr (its log) to the run's log file."""
    path = log_file()
    if path is None:
        return
    text = output.decode("utf-8", "replace") if isinstance(output, bytes) else output
    with path.open("a", encoding="utf-8") as file:
        file.write(text if text.endswith("\n") or not text else text + "\n")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "runs_last: run after every other test (log scans)")
    given = os.environ.get(LOG_FILE_ENV)
    if given:
        path = Path(given)
    else:
        descriptor, name = tempfile.mkstemp(prefix="popreg-test-logs-", suffix=".jsonl")
        os.close(descriptor)
        path = Path(name)
        os.environ[LOG_FILE_ENV] = name
        config.add_cleanup(lambda: path.unlink(missing_ok=True))
    handler = TeeHandler(path)
    logging.getLogger().addHandler(handler)
    config.stash[_handler_key] = handler


def pytest_unconfigure(config: pytest.Config) -> None:
    handler = config.stash.get(_handler_key, None)
    if handler is not None:
        logging.getLogger().removeHandler(handler)
        handler.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    last = [item for item in items if item.get_closest_marker("runs_last")]
    if last:
        items[:] = [item for item in items if not item.get_closest_marker("runs_last")] + last
