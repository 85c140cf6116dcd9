"""The HTTP protocol ``popreg serve`` runs: uvicorn's httptools parser with a head limit.

uvicorn's httptools protocol buffers a request's line and headers without any
limit, so one client could make a worker hold megabytes per connection. This
one counts the bytes of each request head as they arrive and, past
``POPREG_MAX_HEADER_BYTES``, answers 431 ``HEADERS_TOO_LARGE`` (problem+json)
and closes the connection before reading more. (uvicorn's h11 parser, used when
httptools is missing, refuses heads over 16 KiB with a plain 400.)
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from app.config import get_settings
from app.problems import PROBLEM_MEDIA_TYPE, problem_type

logger = logging.getLogger("popreg.server")
HEAD_TOO_LARGE = "HEADERS_TOO_LARGE"


def head_too_large_response(limit: int) -> bytes:
    body = orjson.dumps(
        {
            "type": problem_type(HEAD_TOO_LARGE),
            "title": "Request Header Fields Too Large",
            "status": 431,
            "detail": f"The request line and headers exceed {limit} bytes.",
            "instance": None,
            "code": HEAD_TOO_LARGE,
            "request_id": None,
        }
    )
    return (
        b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
        + f"content-type: {PROBLEM_MEDIA_TYPE}\r\n".encode()
        + f"content-length: {len(body)}\r\n".encode()
        + b"x-content-type-options: nosniff\r\n"
        + b"connection: close\r\n\r\n"
        + body
    )


class HeadTooLargeError(Exception):
    """Raised from a parser callback; httptools turns it into a parser error."""


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """httptools with at most ``max_header_bytes`` of request line and headers.

    Two counts: the head's own bytes (request target and headers, from the parser's
    callbacks), which catch a large head that arrives in one read together with its
    body; and the bytes read while a head is still incomplete, which stop a client
    from making the parser hold an endless head.
    """

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.max_header_bytes = get_settings().max_header_bytes
        self._reading_head = True
        self._read_in_head = 0  # bytes read while the head was incomplete
        self._head_size = 0  # bytes of request target and headers parsed
        self._head_too_large = False

    def data_received(self, data: bytes) -> None:
        if not self._reading_head:
            super().data_received(data)
            return
        self._read_in_head += len(data)
        super().data_received(data)
        if (
            self._reading_head
            and self._read_in_head > self.max_header_bytes
            and not self.transport.is_closing()
        ):
            self._refuse()

    def on_message_begin(self) -> None:
        self._head_size = 0
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)  # ": " and CRLF
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._reading_head = False
        self._read_in_head = 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._reading_head = True  # the next request on this connection starts with its head
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        if self._head_too_large:  # the parser error came from our own callback
            self._refuse()
            return
        super().send_400_response(msg)

    def _count(self, size: int) -> None:
        self._head_size += size
        if self._head_size > self.max_header_bytes:
            self._head_too_large = True
            raise HeadTooLargeError

    def _refuse(self) -> None:
        logger.warning(
            "request head too large; connection closed",
            extra={"fields": {"limit": self.max_header_bytes}},
        )
        self.transport.write(head_too_large_response(self.max_header_bytes))
        self.transport.close()
