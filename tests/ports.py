"""Free TCP ports for tests that start servers, each suite in a range of its own."""

from __future__ import annotations

import random
import socket


def free_port_in(ports: range) -> int:
    """A port of ``ports`` nothing listens on now."""
    for port in random.sample(ports, len(ports)):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")
