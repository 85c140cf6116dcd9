"""One settings object for the whole service, read from ``POPREG_*`` variables."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_PATH = Path("var") / "popreg.db"
DEFAULT_ADMIN_TOKEN = "sandbox-admin-token"  # noqa: S105 - documented sandbox default
DEFAULT_CITIZEN_CODE = "123456"  # the documented sandbox one-time code


class Mode(StrEnum):
    """``sandbox`` allows the documented default secrets; ``hardened`` refuses them."""

    SANDBOX = "sandbox"
    HARDENED = "hardened"


class DashboardAccess(StrEnum):
    """Who may view the workshop dashboard at ``/``."""

    OPEN = "open"
    ADMIN = "admin"
    OFF = "off"


class LogFormat(StrEnum):
    JSON = "json"
    CONSOLE = "console"


class Settings(BaseSettings):
    """Every setting of popreg. Each field is read from ``POPREG_<NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix="POPREG_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    mode: Mode = Mode.SANDBOX
    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_SQLITE_PATH.as_posix()}",
        description="SQLAlchemy URL; SQLite file by default, postgresql://… for scale.",
    )
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=10, ge=0, le=200)
    db_pool_timeout: float = Field(default=10.0, gt=0)
    db_pool_recycle: int = Field(default=1800, ge=-1)
    db_echo: bool = False
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)
    sqlite_cache_mib: int = Field(
        default=64,
        ge=1,
        le=4096,
        description="SQLite page cache per connection (MiB). `popreg worker` uses at most 16: "
        "its bulk reads land all over the file, where a private cache hardly helps.",
    )

    admin_token: SecretStr = SecretStr(DEFAULT_ADMIN_TOKEN)
    credential_cache_seconds: float = Field(
        default=30.0, ge=0, description="How long an API key or policy is cached per process."
    )
    token_lifetime_seconds: int = Field(default=900, ge=60, le=86_400)
    rate_limits: bool = Field(
        default=True, description="Enforce per-agency rate limits and daily quotas."
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis shared by all workers for rate limits, e.g. redis://127.0.0.1:6379/0; "
        "unset: limits are kept per process.",
    )
    audit_enabled: bool = Field(
        default=True,
        description="Write the audit log. Off only to measure its cost (bench/); refused "
        "in hardened mode.",
    )
    citizen_login_code: SecretStr = Field(
        default=SecretStr(DEFAULT_CITIZEN_CODE),
        description="The one-time code every citizen signs in with in the sandbox.",
    )
    auth_max_failures: int = Field(
        default=30,
        ge=0,
        description="Failed API-key attempts from one client address, or with one key "
        "prefix, before every attempt of that address or prefix is refused (429) until "
        "the window ends (0: no limit).",
    )
    auth_lockout_seconds: float = Field(
        default=300.0,
        ge=1,
        le=86_400,
        description="The failure window: it opens at the first failure; a locked address or "
        "prefix is refused until it ends.",
    )
    citizen_login_max_failures: int = Field(
        default=5,
        ge=0,
        description="Failed citizen sign-ins for one personal ID before that ID is locked "
        "(0: no limit).",
    )
    citizen_login_max_failures_per_ip: int = Field(
        default=20,
        ge=0,
        description="Failed citizen sign-ins from one client address before it is locked "
        "(0: no limit).",
    )
    citizen_login_lockout_seconds: float = Field(
        default=900.0, ge=1, le=86_400, description="The citizen sign-in failure window."
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Browser origins allowed to call the API cross-origin (CORS), e.g. "
        '["https://portal.example.vn"]; empty: none (no CORS headers at all).',
    )
    max_request_body_bytes: int = Field(default=1_048_576, ge=1024)
    max_header_bytes: int = Field(
        default=65_536,
        ge=4096,
        le=16_777_216,
        description="Most bytes of a request's line and headers (`popreg serve`); more: 431 "
        "and the connection is closed.",
    )
    cleaning_max_upload_bytes: int = Field(
        default=1_073_741_824, ge=1024, description="Largest cleaning upload (bytes)."
    )
    cleaning_max_rows: int = Field(
        default=5_000_000, ge=1, description="Most rows in one cleaning upload."
    )
    cleaning_chunk_rows: int = Field(
        default=5000, ge=10, le=100_000, description="Rows per chunk of a cleaning job."
    )
    cleaning_workers: int = Field(
        default=1,
        ge=0,
        le=16,
        description="Chunk-processing threads in each server process (0: leave cleaning "
        "to `popreg worker` processes).",
    )
    job_workers: int = Field(
        default=0,
        ge=0,
        le=32,
        description="`popreg worker` processes that `popreg serve` starts and looks after "
        "(cleaning and extract chunks on the other cores).",
    )
    cleaning_lease_seconds: int = Field(
        default=120,
        ge=5,
        description="How long a claimed chunk is a worker's; after that, another takes it over.",
    )
    extract_max_citizens: int = Field(
        default=1_000_000, ge=1, description="Largest cohort one extract may cover."
    )
    extract_chunk_rows: int = Field(
        default=1000, ge=10, le=100_000, description="Citizens per chunk of an extract."
    )
    extract_workers: int = Field(
        default=1,
        ge=0,
        le=16,
        description="Extract-rendering threads in each server process (0: leave extracts to "
        "`popreg worker` processes). Leases: `cleaning_lease_seconds`.",
    )
    webhooks: bool = Field(
        default=True,
        description="Send webhook deliveries from each server process (off: leave them to "
        "`popreg worker` processes).",
    )
    webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="How long a receiver has to answer."
    )
    webhook_max_attempts: int = Field(
        default=10, ge=1, le=50, description="Failed attempts before a delivery is dead."
    )
    webhook_backoff_base_seconds: float = Field(
        default=2.0,
        gt=0,
        description="Wait after the first failure; doubles per failure, with jitter.",
    )
    webhook_backoff_max_seconds: float = Field(
        default=3600.0, gt=0, description="Longest wait between two attempts."
    )
    webhook_concurrency: int = Field(
        default=16, ge=1, le=256, description="Deliveries sent at once by one process."
    )
    webhook_poll_seconds: float = Field(
        default=1.0, gt=0, le=60, description="How often the outbox is checked for due work."
    )
    max_subscriptions_per_agency: int = Field(default=20, ge=1, le=1000)
    fault_refresh_seconds: float = Field(
        default=1.0,
        ge=0.05,
        le=60,
        description="How often each process re-reads the sandbox fault rules (at most).",
    )
    statistics_min_k: int = Field(
        default=10,
        ge=3,
        le=1000,
        description="Smallest threshold k an agency's statistics query may ask for: counts "
        "from 1 to k-1 are suppressed (docs/statistics.md).",
    )

    dashboard: DashboardAccess | None = Field(
        default=None,
        description="The workshop dashboard at `/`: `open`, `admin` (needs the admin token) "
        "or `off`; unset: `open` in sandbox mode, `off` in hardened mode.",
    )

    log_level: str = "INFO"
    log_format: LogFormat = LogFormat.JSON
    access_log: bool = Field(default=True, description="One log line per request.")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    keep_alive_seconds: int = Field(
        default=75,
        ge=1,
        le=3600,
        description="How long `popreg serve` keeps an idle HTTP connection open. Longer than "
        "clients' own idle limits (httpx: 5 s), so a client never sends on a connection the "
        "server is closing at that moment (the request would be lost).",
    )

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str) -> str:
        # Plain postgresql:// URLs mean psycopg 3, the only PostgreSQL driver we ship.
        for prefix in ("postgresql://", "postgres://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @field_validator("log_level")
    @classmethod
    def _upper_log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"unknown log level {value!r}")
        return level

    @model_validator(mode="after")
    def _refuse_default_secrets_outside_sandbox(self) -> Self:
        if self.mode is Mode.HARDENED and self.admin_token.get_secret_value() in {
            DEFAULT_ADMIN_TOKEN,
            "",
        }:
            raise ValueError(
                "POPREG_ADMIN_TOKEN must be set to a non-default value when POPREG_MODE=hardened"
            )
        if self.mode is Mode.HARDENED and not self.audit_enabled:
            raise ValueError("POPREG_AUDIT_ENABLED=false is refused when POPREG_MODE=hardened")
        return self

    @property
    def citizen_login_enabled(self) -> bool:
        """The fixed sandbox code is a public secret: hardened mode needs another one."""
        code = self.citizen_login_code.get_secret_value()
        return bool(code) and (self.mode is Mode.SANDBOX or code != DEFAULT_CITIZEN_CODE)

    @property
    def dashboard_access(self) -> DashboardAccess:
        if self.dashboard is not None:
            return self.dashboard
        return DashboardAccess.OPEN if self.mode is Mode.SANDBOX else DashboardAccess.OFF

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
