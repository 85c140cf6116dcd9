"""Brute-force throttling of credentials: API keys and citizen one-time codes.

Failed API-key attempts are counted per client address and per key prefix;
failed citizen sign-ins per personal ID and per client address. Past the limit
(``POPREG_AUTH_MAX_FAILURES``, ``POPREG_CITIZEN_LOGIN_MAX_FAILURES…``) every
attempt under that address, prefix or ID is refused with 429
``TOO_MANY_FAILED_ATTEMPTS`` and ``Retry-After`` until the window that opened at
the first failure ends, right credentials included: otherwise the answer to a
right guess would still tell it apart. Successes do not reset the count.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from http import HTTPStatus

from pydantic import SecretStr
from starlette.types import Scope

from app.agencies.keys import key_prefix
from app.config import Settings
from app.limits.failures import FailureCounter, build_failure_counter
from app.limits.policy import whole_seconds
from app.problems import ProblemError

logger = logging.getLogger("popreg.auth")


class TooManyFailedAttemptsError(ProblemError):
    status_code = HTTPStatus.TOO_MANY_REQUESTS
    code = "TOO_MANY_FAILED_ATTEMPTS"
    title = "Too many failed attempts"


@dataclass(frozen=True, slots=True)
class FailureRule:
    scope: str  # what is counted: "ip", "key", "citizen-ip", "citizen"
    limit: int  # failures per window; 0: not counted
    window: float  # seconds


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _refused(seconds: float, what: str) -> TooManyFailedAttemptsError:
    retry_after = max(whole_seconds(seconds), 1)
    return TooManyFailedAttemptsError(
        f"Too many failed attempts {what}: every attempt is refused for {retry_after} s "
        "more, right credentials included.",
        headers={"Retry-After": str(retry_after)},
        extensions={"retry_after": retry_after},
    )


class CredentialThrottle:
    def __init__(self, settings: Settings, counter: FailureCounter | None = None) -> None:
        self.counter = counter or build_failure_counter(settings.redis_url)
        self.api_rules = (
            FailureRule("ip", settings.auth_max_failures, settings.auth_lockout_seconds),
            FailureRule("key", settings.auth_max_failures, settings.auth_lockout_seconds),
        )
        self.citizen_rules = (
            FailureRule(
                "citizen-ip",
                settings.citizen_login_max_failures_per_ip,
                settings.citizen_login_lockout_seconds,
            ),
            FailureRule(
                "citizen",
                settings.citizen_login_max_failures,
                settings.citizen_login_lockout_seconds,
            ),
        )
        # Personal IDs are counted under a keyed hash, never in the clear (Redis).
        token = settings.admin_token  # the same in every worker
        self._secret = (
            token.get_secret_value() if isinstance(token, SecretStr) else str(token)
        ).encode()

    # API keys -------------------------------------------------------------------------

    def _api_keys(self, scope: Scope, api_key: str) -> list[tuple[FailureRule, str]]:
        ip_rule, key_rule = self.api_rules
        keys = [(ip_rule, f"ip:{client_address(scope)}")] if ip_rule.limit else []
        prefix = key_prefix(api_key)
        if prefix is not None and key_rule.limit:
            keys.append((key_rule, f"key:{prefix}"))
        return keys

    def api_key_blocked(self, scope: Scope, api_key: str) -> bool:
        """Whether this process knows the address or the key's prefix to be locked (cheap)."""
        if self.counter.idle:
            return False
        locked = self.counter.locked
        if locked(f"ip:{client_address(scope)}") is not None:
            return True
        prefix = key_prefix(api_key)
        return prefix is not None and locked(f"key:{prefix}") is not None

    def admit_api_key(self, scope: Scope, api_key: str) -> None:
        """Raise the 429 if the client's address or the key's prefix is locked."""
        for rule, key in self._api_keys(scope, api_key):
            seconds = self.counter.locked(key)
            if seconds is not None:
                what = "from this address" if rule.scope == "ip" else "with this key prefix"
                raise _refused(seconds, what)

    async def api_key_failed(self, scope: Scope, api_key: str) -> None:
        for rule, key in self._api_keys(scope, api_key):
            seconds = await self.counter.fail(key, rule.limit, rule.window)
            if seconds is not None:
                self._lockout(rule, key)

    # Citizen sign-in ------------------------------------------------------------------

    def _citizen_keys(self, scope: Scope, personal_id: str) -> list[tuple[FailureRule, str]]:
        ip_rule, id_rule = self.citizen_rules
        keys = []
        if ip_rule.limit:
            keys.append((ip_rule, f"citizen-ip:{client_address(scope)}"))
        if id_rule.limit:
            digest = hmac.new(self._secret, personal_id.encode(), hashlib.sha256).hexdigest()
            keys.append((id_rule, f"citizen:{digest[:32]}"))
        return keys

    async def admit_citizen_login(self, scope: Scope, personal_id: str) -> None:
        """Raise the 429 if the address or the personal ID is locked (asks Redis if shared)."""
        for rule, key in self._citizen_keys(scope, personal_id):
            seconds = await self.counter.check(key, rule.limit)
            if seconds is not None:
                what = "from this address" if rule.scope == "citizen-ip" else "for this person"
                raise _refused(seconds, what)

    async def citizen_login_failed(self, scope: Scope, personal_id: str) -> None:
        for rule, key in self._citizen_keys(scope, personal_id):
            if await self.counter.fail(key, rule.limit, rule.window) is not None:
                # The personal ID is not logged: the hashed key stands for it.
                self._lockout(rule, key if rule.scope != "citizen" else "citizen:…")

    def _lockout(self, rule: FailureRule, key: str) -> None:
        logger.warning(
            "credentials locked after repeated failures",
            extra={"fields": {"scope": rule.scope, "key": key, "seconds": rule.window}},
        )

    async def aclose(self) -> None:
        await self.counter.aclose()
