"""A webhook receiver that accepts only whole, correctly signed deliveries."""

from __future__ import annotations

import http.server
import threading
from collections import Counter
from typing import Any

import orjson

from app.events.signing import SIGNATURE_HEADER, verify_signature


class SigningReceiver:
    """Answers 204 to a delivery whose body is complete and signed with ``secret``, else 400.

    A sender killed mid-request leaves a truncated body: refused, so the delivery
    counts as received only once it has arrived whole (and is then retried).
    """

    def __init__(self) -> None:
        self.secret = ""
        self.received: Counter[int] = Counter()  # event id → whole deliveries
        self.refused = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                signature = self.headers.get(SIGNATURE_HEADER, "")
                whole = len(body) == length and verify_signature(receiver.secret, body, signature)
                with receiver._lock:
                    if whole:
                        receiver.received[int(orjson.loads(body)["event"]["id"])] += 1
                    else:
                        receiver.refused += 1
                self.send_response(204 if whole else 400)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks/popreg"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def events(self) -> set[int]:
        with self._lock:
            return set(self.received)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
