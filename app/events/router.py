"""Change feed and webhook subscription endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from app.audit.entries import disclosure, refusal
from app.auth.dependencies import PrincipalDep, PurposeHeader
from app.events import feed, subscriptions
from app.events.schemas import (
    DeliveryList,
    DeliveryRead,
    EventPage,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionList,
    SubscriptionRead,
)
from app.limits import admit_request
from app.models import DeliveryState
from app.problems import (
    AGENCY_CODES,
    NOT_ALLOWED_CODES,
    ProblemError,
    current_request_id,
    problem_responses,
)

router = APIRouter(prefix="/v1", tags=["events"])

FEED_ERRORS = problem_responses(
    400,
    401,
    403,
    422,
    429,
    codes={
        **AGENCY_CODES,
        400: ["PURPOSE_REQUIRED"],
        403: [*NOT_ALLOWED_CODES, "EVENT_TYPE_NOT_ALLOWED"],
        422: ["INVALID_CURSOR", "UNKNOWN_EVENT_TYPE", "VALIDATION_FAILED"],
    },
)
CREATE_ERRORS = problem_responses(
    401,
    403,
    409,
    422,
    429,
    codes={
        **AGENCY_CODES,
        403: [*NOT_ALLOWED_CODES, "EVENT_TYPE_NOT_ALLOWED"],
        409: ["TOO_MANY_SUBSCRIPTIONS"],
        422: ["INVALID_WEBHOOK_URL", "UNKNOWN_CITIZENS", "VALIDATION_FAILED", "MALFORMED_JSON"],
    },
)
ONE_ERRORS = problem_responses(
    401, 404, 429, codes={**AGENCY_CODES, 404: ["SUBSCRIPTION_NOT_FOUND"]}
)
REDELIVER_ERRORS = problem_responses(
    401, 404, 429, codes={**AGENCY_CODES, 404: ["SUBSCRIPTION_NOT_FOUND", "DELIVERY_NOT_FOUND"]}
)
SubscriptionId = Annotated[
    str,
    Path(max_length=40, description="The subscription's id.", examples=["sub_7d1f0c2a9b3e4f5a"]),
]


@router.get("/events", summary="Read the change feed", responses=FEED_ERRORS)
async def read_events(
    request: Request,
    principal: PrincipalDep,
    x_purpose: PurposeHeader = None,
    after: Annotated[
        str,
        Query(
            max_length=40,
            description="Read events after this cursor: a `next_cursor`, `0` for the oldest "
            "event, or `latest` to get the cursor of now (no events) and follow from there.",
        ),
    ] = "0",
    types: Annotated[
        str | None,
        Query(
            max_length=300,
            description="Comma-separated event types; default: every type your purpose may follow.",
            examples=["death,id_correction"],
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Most events per page.")] = 100,
    wait: Annotated[
        int,
        Query(
            ge=0,
            le=30,
            description="Long poll: when nothing is new, wait up to this many seconds for an "
            "event before answering.",
        ),
    ] = 0,
) -> EventPage:
    """Life events after a cursor, oldest first, with only the changed fields your purpose
    may read. Your purpose must allow `subscribe`; it may follow a type when it may read a
    field that type changes (deaths: `vital_status` or `death_date`; moves: an address; …,
    see docs/events.md). Purposes that need consent see only consenting citizens' events.
    Each event read is audited, so the citizen's data tracker shows it."""
    await admit_request(request, principal)
    state = request.app.state
    page = await feed.read(
        state.database,
        state.audit,
        principal,
        feed.FeedRequest(x_purpose, after, types, limit, wait, current_request_id(request)),
    )
    return EventPage.model_validate(
        {
            "events": page.events,
            "next_cursor": page.next_cursor,
            "has_more": page.has_more,
            "followed_types": page.followed_types,
        }
    )


@router.post(
    "/subscriptions",
    summary="Subscribe a webhook",
    status_code=201,
    response_model=SubscriptionCreated,
    responses=CREATE_ERRORS,
)
async def create_subscription(
    body: SubscriptionCreate, request: Request, response: Response, principal: PrincipalDep
) -> SubscriptionCreated:
    """Events of the given types (for the listed citizens, or all your purpose covers) are
    POSTed to `url` as JSON, signed in `X-Popreg-Signature: t=…,v1=…` (HMAC-SHA256 of
    `"{t}." + body` with the secret). Any 2xx acknowledges; anything else is retried with
    exponential backoff and jitter, and after the last attempt the delivery is dead until you
    redeliver it. Events about one citizen arrive in order. The secret is shown only once."""
    await admit_request(request, principal)
    state = request.app.state
    request_id = current_request_id(request)
    asked = {"event_types": [t.value for t in body.event_types], "url": body.url[:200]}
    try:
        created = await run_in_threadpool(
            subscriptions.create, state.database, state.settings, principal, body
        )
    except ProblemError as error:
        await state.audit.record(
            refusal(principal, body.purpose, "subscribe", request_id, error, detail=asked)
        )
        raise
    # Who follows which changes (and of how many citizens) is itself on the record.
    await state.audit.record(
        disclosure(
            principal,
            created["purpose"],
            "subscribe",
            request_id,
            personal_id=None,
            fields=[],
            outcome="recorded",
            detail={
                **asked,
                "subscription_id": created["id"],
                "watched_citizens": created["watched_citizens"],
            },
        )
    )
    response.headers["Location"] = f"/v1/subscriptions/{created['id']}"
    return SubscriptionCreated.model_validate(created)


@router.get("/subscriptions", summary="List your subscriptions", responses=ONE_ERRORS)
async def list_subscriptions(request: Request, principal: PrincipalDep) -> SubscriptionList:
    """Your agency's active subscriptions with their deliveries counted by state."""
    await admit_request(request, principal)
    rows = await run_in_threadpool(subscriptions.list_all, request.app.state.database, principal)
    return SubscriptionList.model_validate({"subscriptions": rows})


@router.get("/subscriptions/{subscription_id}", summary="One subscription", responses=ONE_ERRORS)
async def get_subscription(
    subscription_id: SubscriptionId, request: Request, principal: PrincipalDep
) -> SubscriptionRead:
    """One of your subscriptions, with its deliveries counted by state (not its secret)."""
    await admit_request(request, principal)
    row = await run_in_threadpool(
        subscriptions.get, request.app.state.database, principal, subscription_id
    )
    return SubscriptionRead.model_validate(row)


@router.delete(
    "/subscriptions/{subscription_id}",
    summary="Delete a subscription",
    status_code=204,
    responses=ONE_ERRORS,
)
async def delete_subscription(
    subscription_id: SubscriptionId, request: Request, principal: PrincipalDep
) -> Response:
    """Stops deliveries: those not yet delivered are cancelled. The subscription and its
    delivery log are no longer served (they stay in the database, as the audit log does)."""
    await admit_request(request, principal)
    await run_in_threadpool(
        subscriptions.delete, request.app.state.database, principal, subscription_id
    )
    return Response(status_code=204)


@router.get(
    "/subscriptions/{subscription_id}/deliveries",
    summary="Delivery log",
    responses=ONE_ERRORS,
)
async def list_deliveries(
    subscription_id: SubscriptionId,
    request: Request,
    principal: PrincipalDep,
    state: Annotated[
        list[DeliveryState] | None, Query(description="Only deliveries in these states.")
    ] = None,
    before: Annotated[
        int | None, Query(ge=1, le=2**62, description="Older than this delivery id.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> DeliveryList:
    """Newest first: each delivery's state, attempts (status, duration, error) and timing."""
    await admit_request(request, principal)
    rows, next_before = await run_in_threadpool(
        subscriptions.deliveries,
        request.app.state.database,
        principal,
        subscription_id,
        state or [],
        before,
        limit,
    )
    return DeliveryList.model_validate({"deliveries": rows, "next_before": next_before})


@router.post(
    "/subscriptions/{subscription_id}/deliveries/{delivery_id}/redeliver",
    summary="Redeliver",
    status_code=202,
    responses=REDELIVER_ERRORS,
)
async def redeliver(
    subscription_id: SubscriptionId,
    delivery_id: Annotated[int, Path(ge=1, le=2**62)],
    request: Request,
    principal: PrincipalDep,
) -> DeliveryRead:
    """Send a delivery again from its first attempt: a dead one, or a delivered one your
    receiver lost. It is queued now and audited again when sent."""
    await admit_request(request, principal)
    state = request.app.state
    row = await run_in_threadpool(
        subscriptions.redeliver, state.database, principal, subscription_id, delivery_id
    )
    state.dispatcher.wake()
    return DeliveryRead.model_validate(row)
