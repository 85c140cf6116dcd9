"""Reading the registry's answers defensively: a connector copes with any body it is sent."""

from __future__ import annotations

from typing import Any

import httpx


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The answer's JSON object, or an empty one when the body is not a JSON object."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
