"""An idle keep-alive connection outlives clients' own idle limits.

Found by the soak run: with uvicorn's default of 5 s, a client whose pooled
connection had been idle for about 5 s sometimes sent its next request just as
the server closed that connection, and lost it (`connection closed`, a POST
that cannot be retried blindly). `popreg serve` keeps idle connections for
`POPREG_KEEP_ALIVE_SECONDS` (75 s), longer than clients keep theirs (httpx: 5 s).
"""

from __future__ import annotations

import http.client
import time
from pathlib import Path

import pytest

from tests.reliability.servers import free_port, serve, stop, wait_ready


def probe(connection: http.client.HTTPConnection) -> int:
    """``GET /healthz`` on this one connection (a closed one raises, never reconnects)."""
    connection.request("GET", "/healthz")
    response = connection.getresponse()
    response.read()
    assert not response.will_close
    return response.status


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_idle_connection_is_still_served_after_six_seconds(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    server = serve(database_url, port, tmp_path / "server.log")
    try:
        wait_ready(f"http://127.0.0.1:{port}", server)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            assert probe(connection) == 200
            opened = connection.sock
            time.sleep(6)  # beyond uvicorn's default keep-alive of 5 s
            assert probe(connection) == 200
            assert connection.sock is opened  # the same connection, not a new one
        finally:
            connection.close()
    finally:
        stop(server)
