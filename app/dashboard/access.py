"""Who may view the dashboard: open, admin token (bearer, query or signed cookie), or off.

``EventSource`` cannot send headers, so in ``admin`` mode the token is exchanged once
(``POST /dashboard/login``) for a short-lived HMAC-signed, HttpOnly cookie that the
pages and the event stream both carry.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from fastapi import Request

from app.config import DashboardAccess, Settings

COOKIE = "popreg_dashboard"
COOKIE_SECONDS = 8 * 3600


class DashboardLoginRequired(Exception):
    """The dashboard is in ``admin`` mode and the request carries no valid token."""


def _signature(settings: Settings, expires: int) -> str:
    key = settings.admin_token.get_secret_value().encode()
    return hmac.new(key, f"dashboard:{expires}".encode(), hashlib.sha256).hexdigest()


def cookie_value(settings: Settings, now: float | None = None) -> str:
    expires = int((now or time.time()) + COOKIE_SECONDS)
    return f"{expires}.{_signature(settings, expires)}"


def valid_cookie(settings: Settings, value: str, now: float | None = None) -> bool:
    expires_text, _, signature = value.partition(".")
    if not expires_text.isdigit() or int(expires_text) < (now or time.time()):
        return False
    return hmac.compare_digest(signature, _signature(settings, int(expires_text)))


def valid_token(settings: Settings, token: str) -> bool:
    expected = settings.admin_token.get_secret_value().encode()
    return bool(token) and secrets.compare_digest(token.encode(), expected)


def require_viewer(request: Request) -> None:
    """A dependency of every dashboard route."""
    settings: Settings = request.app.state.settings
    if settings.dashboard_access is DashboardAccess.OPEN:
        return
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and valid_token(settings, token.strip()):
        return
    cookie = request.cookies.get(COOKIE)
    if cookie and valid_cookie(settings, cookie):
        return
    raise DashboardLoginRequired
