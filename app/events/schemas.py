"""Shapes of the change feed, webhook subscriptions and their delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.events.civil_schemas import EVENT_EXAMPLE, EventDocument
from app.models import DeliveryState, EventType


class EventPage(BaseModel):
    """A page of the change feed; pass `next_cursor` as `after` to read on."""

    events: list[EventDocument]
    next_cursor: str = Field(description="Where the next read starts; store it after processing.")
    has_more: bool = Field(description="True when more events may be waiting right now.")
    followed_types: list[EventType] = Field(description="The types this read covered.")

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "events": [EVENT_EXAMPLE],
                "next_cursor": "1842",
                "has_more": False,
                "followed_types": ["death", "name_change", "id_correction"],
            }
        }
    )


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "example": {
                "url": "https://bank.example/hooks/popreg",
                "purpose": "kyc_refresh",
                "event_types": ["death", "name_change"],
                "personal_ids": ["001085895359"],
                "description": "Freeze accounts of deceased customers",
            }
        },
    )

    url: str = Field(min_length=8, max_length=2000, description="http(s) URL that receives POSTs.")
    purpose: str = Field(
        min_length=2, max_length=40, description="One of your purposes that allows `subscribe`."
    )
    event_types: list[EventType] = Field(min_length=1, max_length=len(EventType))
    personal_ids: list[str] | None = Field(
        default=None,
        max_length=10_000,
        description="Follow only these citizens (e.g. your customers); omit to follow everyone "
        "your purpose covers.",
    )
    secret: str | None = Field(
        default=None,
        min_length=16,
        max_length=100,
        description="HMAC key for the signatures; omit to have one generated (shown once).",
    )
    description: str | None = Field(default=None, max_length=200)


DELIVERY_COUNTS_EXAMPLE = {"pending": 0, "sending": 0, "delivered": 12, "dead": 0, "cancelled": 0}
SUBSCRIPTION_EXAMPLE: dict[str, Any] = {
    "id": "sub_7d1f0c2a9b3e4f5a",
    "url": "https://bank.example/hooks/popreg",
    "purpose": "kyc_refresh",
    "event_types": ["death", "name_change"],
    "all_citizens": False,
    "watched_citizens": 1,
    "description": "Freeze accounts of deceased customers",
    "created_at": "2026-11-22T09:00:00Z",
    "deliveries": DELIVERY_COUNTS_EXAMPLE,
}


class SubscriptionRead(BaseModel):
    id: str
    url: str
    purpose: str
    event_types: list[EventType]
    all_citizens: bool
    watched_citizens: int
    description: str | None
    created_at: datetime
    deliveries: dict[str, int] = Field(description="Deliveries by state.")

    model_config = ConfigDict(json_schema_extra={"example": SUBSCRIPTION_EXAMPLE})


class SubscriptionCreated(SubscriptionRead):
    secret: str = Field(description="The signing secret. Shown only now: keep it.")

    model_config = ConfigDict(
        json_schema_extra={
            "example": {**SUBSCRIPTION_EXAMPLE, "secret": "whsec_Yp3m0d2S9bq4sJk1Xc7vTt0w"}
        }
    )


class SubscriptionList(BaseModel):
    subscriptions: list[SubscriptionRead]

    model_config = ConfigDict(
        json_schema_extra={"example": {"subscriptions": [SUBSCRIPTION_EXAMPLE]}}
    )


class AttemptRead(BaseModel):
    number: int
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None
    outcome: str = Field(description="delivered, retry or dead")


DELIVERY_EXAMPLE: dict[str, Any] = {
    "id": 311,
    "event_id": 1842,
    "event_type": "death",
    "personal_id": "001085895359",
    "state": "delivered",
    "attempts": 2,
    "next_attempt_at": None,
    "last_status": 200,
    "last_error": None,
    "created_at": "2026-11-22T09:15:02Z",
    "delivered_at": "2026-11-22T09:15:05Z",
    "attempt_log": [
        {
            "number": 1,
            "started_at": "2026-11-22T09:15:02Z",
            "duration_ms": 10003,
            "status_code": None,
            "error": "ConnectTimeout: timed out",
            "outcome": "retry",
        },
        {
            "number": 2,
            "started_at": "2026-11-22T09:15:05Z",
            "duration_ms": 12,
            "status_code": 200,
            "error": None,
            "outcome": "delivered",
        },
    ],
}


class DeliveryRead(BaseModel):
    id: int
    event_id: int
    event_type: EventType
    personal_id: str
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime | None = Field(description="When a pending delivery is tried next.")
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[AttemptRead]

    model_config = ConfigDict(json_schema_extra={"example": DELIVERY_EXAMPLE})


class DeliveryList(BaseModel):
    deliveries: list[DeliveryRead]
    next_before: int | None = Field(description="Pass as `before` for older deliveries.")

    model_config = ConfigDict(
        json_schema_extra={"example": {"deliveries": [DELIVERY_EXAMPLE], "next_before": None}}
    )
