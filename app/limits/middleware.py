"""Adds ``RateLimit-*`` headers to successful responses of calls that were admitted.

The code that admits a call stores the decision under ``STATE_KEY`` in the
request state (``request.state.rate_limit = decision`` in a route,
``scope["state"]["rate_limit"] = decision`` in ASGI code); refusals carry their
headers in the 429 problem itself.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.limits.policy import LimitDecision, rate_limit_headers

STATE_KEY = "rate_limit"


class RateLimitHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                decision = (scope.get("state") or {}).get(STATE_KEY)
                if isinstance(decision, LimitDecision) and message["status"] < 400:
                    headers = list(message.get("headers", []))
                    headers.extend(
                        (name.lower().encode("latin-1"), value.encode("latin-1"))
                        for name, value in rate_limit_headers(decision).items()
                    )
                    message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
