"""Civil-registry endpoints: births, deaths, moves, marriages, divorces, names, cards, IDs."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.auth.dependencies import ApiKeyHeader, BearerHeader, PurposeHeader, resolve_principal
from app.auth.principal import Principal
from app.events import civil, civil_commands
from app.events.civil_schemas import (
    BirthRegistration,
    CardReissue,
    CivilResult,
    DeathRegistration,
    Divorce,
    IdCorrection,
    Marriage,
    NameChange,
    ResidenceChange,
)
from app.limits import admit_request
from app.problems import (
    NOT_ALLOWED_CODES,
    THROTTLED_CODES,
    UNAUTHENTICATED_CODES,
    current_request_id,
    problem_responses,
)

router = APIRouter(prefix="/v1/civil", tags=["civil registry"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=100,
        description="Any unique string: a retry with the same key returns the first answer "
        "(header `Idempotent-Replayed: true`) instead of recording the change twice.",
        examples=["birth-2026-11-22-0001"],
    ),
]
ERRORS = problem_responses(
    400,
    401,
    403,
    404,
    409,
    422,
    429,
    codes={
        400: ["PURPOSE_REQUIRED"],
        401: UNAUTHENTICATED_CODES,
        403: NOT_ALLOWED_CODES,
        404: ["CITIZEN_NOT_FOUND"],
        409: [
            "CITIZEN_DECEASED",
            "ALREADY_MARRIED",
            "NOT_MARRIED_TO_EACH_OTHER",
            "NOTHING_TO_CHANGE",
        ],
        422: [
            "VALIDATION_FAILED",
            "INVALID_EVENT_DATE",
            "PARENT_NOT_ELIGIBLE",
            "MARRIAGE_NOT_ALLOWED",
            "UNKNOWN_WARD",
            "UNKNOWN_PROVINCE",
            "NOT_ELIGIBLE",
            "IDEMPOTENCY_KEY_REUSED",
        ],
        429: THROTTLED_CODES,
    },
)


async def get_registrar(request: Request, api_key: ApiKeyHeader, bearer: BearerHeader) -> Principal:
    """A civil-registry agency (API key or OAuth2 token), or the admin token."""
    settings = request.app.state.settings
    admin = settings.admin_token.get_secret_value().encode()
    if bearer is not None and secrets.compare_digest(bearer.credentials.encode(), admin):
        return civil.ADMIN
    authorization = f"Bearer {bearer.credentials}" if bearer is not None else None
    principal = await resolve_principal(request, api_key, authorization)
    await admit_request(request, principal)
    return principal


Registrar = Annotated[Principal, Depends(get_registrar)]


async def _record(
    request: Request,
    principal: Principal,
    purpose: str | None,
    key: str | None,
    command: civil.Command,
) -> JSONResponse:
    state = request.app.state
    idempotency = None
    if key is not None:
        fingerprint = civil.fingerprint(
            request.method, request.url.path, command.body.model_dump_json().encode()
        )
        idempotency = (key, fingerprint)
    answer = await civil.record(
        state.database,
        state.audit,
        principal,
        purpose,
        command,
        current_request_id(request),
        idempotency,
    )
    if not answer.replayed:
        state.dispatcher.wake()
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return JSONResponse(answer.body, status_code=answer.status_code, headers=headers)


@dataclass(frozen=True, slots=True)
class Operation:
    path: str
    summary: str
    name: str  # the route's name and operationId
    body: type[BaseModel]
    audit: str  # the audit log's operation (24 characters at most)
    build: civil.Build
    description: str


OPERATIONS = [
    Operation(
        "/births",
        "Register a birth",
        "register_birth",
        BirthRegistration,
        "civil_birth",
        civil_commands.register_birth,
        "A newborn gets a personal ID (birth-registration province, century and sex, year, "
        "random serial), links to the mother (and father), and joins a parent's household and "
        "address. Parents must exist, be of the right sex, at least 13 years older than the "
        "child and alive at the birth (a father up to 300 days before).",
    ),
    Operation(
        "/deaths",
        "Record a death",
        "record_death",
        DeathRegistration,
        "civil_death",
        civil_commands.register_death,
        "Records the date of death (`409 CITIZEN_DECEASED` if already recorded); a married "
        "spouse becomes widowed (a `widowhood` event). Banks and insurers following `death` "
        "events hear of it.",
    ),
    Operation(
        "/residence-changes",
        "Change a residence",
        "change_residence",
        ResidenceChange,
        "civil_residence_change",
        civil_commands.change_residence,
        "Moves a citizen's permanent, temporary or current residence. Give the ward as a "
        "pre-2025 code (`legacy_ward_code`: the address is stored in both unit systems) or as a "
        "2025 code (`ward_code`); `409 NOTHING_TO_CHANGE` if the address is the same.",
    ),
    Operation(
        "/marriages",
        "Register a marriage",
        "register_marriage",
        Marriage,
        "civil_marriage",
        civil_commands.register_marriage,
        "Both spouses become married and linked (one event each). Refused when either is "
        "married (`409 ALREADY_MARRIED`), dead, under the marriage age (men 20, women 18), or "
        "when they are parent and child or siblings (`422 MARRIAGE_NOT_ALLOWED`).",
    ),
    Operation(
        "/divorces",
        "Register a divorce",
        "register_divorce",
        Divorce,
        "civil_divorce",
        civil_commands.register_divorce,
        "Both spouses become divorced and unlinked (one event each); `409 "
        "NOT_MARRIED_TO_EACH_OTHER` unless they are married to each other.",
    ),
    Operation(
        "/name-changes",
        "Change a name",
        "change_name",
        NameChange,
        "civil_name_change",
        civil_commands.change_name,
        "The new full name; the old one is kept among the citizen's other names.",
    ),
    Operation(
        "/card-reissues",
        "Re-issue an identity card",
        "reissue_card",
        CardReissue,
        "civil_card_reissue",
        civil_commands.reissue_card,
        "A new chip identity card (2023 Identity Law) numbered with the personal ID, expiring "
        "by the 14/25/40/60 rule; the event carries the citizen's cards before and after.",
    ),
    Operation(
        "/id-corrections",
        "Correct a personal ID",
        "correct_personal_id",
        IdCorrection,
        "civil_id_correction",
        civil_commands.correct_personal_id,
        "When a fact encoded in the number (birth year, sex, registration province) was "
        "recorded wrongly, the citizen gets a new number; the old one is kept in the ID history "
        "(never reused) and the citizen's consents move to the new number.",
    ),
]


def _endpoint(operation: Operation) -> Callable[..., Awaitable[JSONResponse]]:
    async def endpoint(
        body: BaseModel,
        request: Request,
        registrar: Registrar,
        x_purpose: PurposeHeader = None,
        idempotency_key: IdempotencyKey = None,
    ) -> JSONResponse:
        command = civil.Command(operation.audit, body, operation.build)
        return await _record(request, registrar, x_purpose, idempotency_key, command)

    endpoint.__name__ = operation.name
    # FastAPI reads the body's model from the annotation: this operation's own.
    endpoint.__annotations__["body"] = operation.body
    return endpoint


for _operation in OPERATIONS:
    router.add_api_route(
        _operation.path,
        _endpoint(_operation),
        methods=["POST"],
        name=_operation.name,
        summary=_operation.summary,
        description=_operation.description,
        response_model=CivilResult,
        status_code=201,
        responses=ERRORS,
    )
