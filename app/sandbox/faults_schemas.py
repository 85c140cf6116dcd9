"""Request and response shapes of the fault-injection endpoints."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.sandbox.faults_rules import MAX_BYTES_PER_SECOND, MAX_LATENCY_MS

LatencyMs = Annotated[int | None, Field(ge=0, le=MAX_LATENCY_MS)]


class HttpMethod(StrEnum):
    GET = "GET"
    HEAD = "HEAD"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"
    OPTIONS = "OPTIONS"


class LatencyEffect(BaseModel):
    """Delay the request before it is served: a fixed `ms`, uniform between `min_ms` and
    `max_ms`, or normal around `mean_ms` with `stddev_ms`; never more than 30 s."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["latency"]
    ms: LatencyMs = None
    min_ms: LatencyMs = None
    max_ms: LatencyMs = None
    mean_ms: LatencyMs = None
    stddev_ms: LatencyMs = None


class ErrorEffect(BaseModel):
    """Answer with a problem+json error (`INJECTED_FAULT`) instead of serving the request."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["error"]
    status: Literal[500, 502, 503, 504]
    retry_after: int | None = Field(
        default=None,
        ge=0,
        le=3600,
        description="503 only: the `Retry-After` seconds (default 1).",
    )


class DropEffect(BaseModel):
    """Cut the connection: the client gets no valid response."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["drop"]


class SlowBodyEffect(BaseModel):
    """Serve the real response, but send its body at `bytes_per_second`."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["slow_body"]
    bytes_per_second: int = Field(ge=1, le=MAX_BYTES_PER_SECOND)


FaultEffect = Annotated[
    LatencyEffect | ErrorEffect | DropEffect | SlowBodyEffect, Field(discriminator="kind")
]

RULE_EXAMPLE: dict[str, Any] = {
    "id": "flt_5c1d9e0a7b3f4e21",
    "agency": "phusa-bank",
    "route": "/v1/citizens/*",
    "methods": ["GET"],
    "probability": 0.3,
    "effect": {"kind": "error", "status": 503, "retry_after": 2},
    "description": "Bank retry drill",
    "created_at": "2026-11-22T09:00:00Z",
    "expires_at": "2026-11-22T10:00:00Z",
    "hits": 42,
}


class FaultRuleCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "example": {
                "agency": "phusa-bank",
                "route": "/v1/citizens/*",
                "methods": ["GET"],
                "probability": 0.3,
                "effect": {"kind": "error", "status": 503, "retry_after": 2},
                "expires_in": 3600,
                "description": "Bank retry drill",
            }
        },
    )

    agency: str | None = Field(
        default=None,
        min_length=2,
        max_length=40,
        description="Fault only this agency's calls (API key or OAuth2 token); omit for any "
        "caller.",
    )
    route: str = Field(
        min_length=1,
        max_length=200,
        description="Glob over the request path: `*` one segment, `**` any depth, `?` one "
        "character, `{name}` one segment; e.g. `/v1/citizens/*`, `/v1/**`.",
        examples=["/v1/citizens/*"],
    )
    methods: list[HttpMethod] | None = Field(
        default=None, max_length=len(HttpMethod), description="Omit for any method."
    )
    probability: float = Field(
        default=1.0, gt=0, le=1, description="Share of matching requests faulted, in (0, 1]."
    )
    effect: FaultEffect
    expires_in: int | None = Field(
        default=None, ge=1, le=30 * 86_400, description="Seconds from now; or give `expires_at`."
    )
    expires_at: datetime | None = Field(
        default=None, description="When the rule stops (ISO 8601 with a zone); omit: never."
    )
    description: str | None = Field(default=None, max_length=200)

    @field_validator("methods", mode="before")
    @classmethod
    def _upper_case_methods(cls, value: object) -> object:
        if isinstance(value, list):
            return [item.upper() if isinstance(item, str) else item for item in value]
        return value


class FaultRuleRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": RULE_EXAMPLE})

    id: str
    agency: str | None = Field(description="The agency faulted; null: any caller.")
    route: str
    methods: list[HttpMethod] = Field(description="Empty: any method.")
    probability: float
    effect: FaultEffect
    description: str | None
    created_at: datetime
    expires_at: datetime | None = Field(description="Null: until deleted.")
    hits: int = Field(description="Faults injected so far, by every server process.")


class FaultRuleList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"rules": [RULE_EXAMPLE]}})

    rules: list[FaultRuleRead]


class FaultRulesCleared(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"deleted": 3}})

    deleted: int = Field(description="How many rules were removed.")
