"""``popreg worker`` processes started and looked after by ``popreg serve --job-workers N``.

A server process runs its Python on one core at a time; cleaning and extract
chunks then go to worker processes on the others. Each is ``popreg worker
--parent-pid <server>``: it stops by itself when the server goes away, even by
``kill -9``, so no orphan keeps claiming chunks. One that dies is started again
after a second; the server stops them all when it stops. The server itself then
leaves chunks to them (``leave_chunks_to_workers``).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import MutableMapping

logger = logging.getLogger("popreg.jobs")
SERVER_THREADS = ("POPREG_CLEANING_WORKERS", "POPREG_EXTRACT_WORKERS")
COMMAND = (sys.executable, "-m", "app.cli", "worker", "--parent-pid")
RESTART_SECONDS = 1.0


class JobWorkers:
    def __init__(self, count: int) -> None:
        self.count = count
        self.processes: list[subprocess.Popen[bytes]] = []
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    def start(self) -> None:
        if self.count <= 0:
            return
        self.processes = [self._spawn() for _ in range(self.count)]
        self._watcher = threading.Thread(target=self._watch, name="job-workers", daemon=True)
        self._watcher.start()

    def _spawn(self) -> subprocess.Popen[bytes]:
        command = [*COMMAND, str(os.getpid())]
        return subprocess.Popen(command)  # noqa: S603 - our own interpreter and module

    def _watch(self) -> None:
        while not self._stop.wait(RESTART_SECONDS):
            for index, process in enumerate(self.processes):
                if process.poll() is not None and not self._stop.is_set():
                    logger.warning(
                        "a job worker process exited; starting another",
                        extra={"fields": {"pid": process.pid, "code": process.returncode}},
                    )
                    self.processes[index] = self._spawn()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def leave_chunks_to_workers(environ: MutableMapping[str, str]) -> list[str]:
    """Turn the server's own chunk threads off where ``environ`` does not set them.

    With worker processes beside it, a server that also works on chunks shares its
    one core (the GIL) between them and the upload it is receiving: a million-row
    clean-up on two cores took 29-31 s so, 27.6 s with the server only receiving.
    Returns the variables it set.
    """
    given = {key.upper() for key in environ}
    missing = [name for name in SERVER_THREADS if name not in given]
    for name in missing:
        environ[name] = "0"
    return missing
