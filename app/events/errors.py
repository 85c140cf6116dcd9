"""Errors of civil-registry operations, the change feed and webhook subscriptions."""

from __future__ import annotations

from http import HTTPStatus

from app.problems import ProblemError


class ConflictError(ProblemError):
    """The registry's current state forbids the change (409)."""

    status_code = HTTPStatus.CONFLICT
    code = "CONFLICT"
    title = "Conflict"


class CitizenDeceasedError(ConflictError):
    code = "CITIZEN_DECEASED"
    title = "Citizen deceased"


class AlreadyMarriedError(ConflictError):
    code = "ALREADY_MARRIED"
    title = "Already married"


class NotMarriedError(ConflictError):
    code = "NOT_MARRIED_TO_EACH_OTHER"
    title = "Not married to each other"


class NothingToChangeError(ConflictError):
    code = "NOTHING_TO_CHANGE"
    title = "Nothing to change"


class IneligibleError(ProblemError):
    """The request is well formed but breaks a rule of civil status (422)."""

    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "NOT_ELIGIBLE"
    title = "Not eligible"


class InvalidEventDateError(IneligibleError):
    code = "INVALID_EVENT_DATE"
    title = "Invalid event date"


class ParentNotEligibleError(IneligibleError):
    code = "PARENT_NOT_ELIGIBLE"
    title = "Parent not eligible"


class MarriageNotAllowedError(IneligibleError):
    code = "MARRIAGE_NOT_ALLOWED"
    title = "Marriage not allowed"


class UnknownWardError(IneligibleError):
    code = "UNKNOWN_WARD"
    title = "Unknown ward"


class UnknownProvinceError(IneligibleError):
    code = "UNKNOWN_PROVINCE"
    title = "Unknown province"


class IdempotencyKeyReusedError(IneligibleError):
    code = "IDEMPOTENCY_KEY_REUSED"
    title = "Idempotency key reused"


class RegisterNotAllowedError(ProblemError):
    status_code = HTTPStatus.FORBIDDEN
    code = "OPERATION_NOT_ALLOWED"
    title = "Operation not allowed"


class InvalidCursorError(ProblemError):
    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "INVALID_CURSOR"
    title = "Invalid cursor"


class EventTypeNotAllowedError(ProblemError):
    status_code = HTTPStatus.FORBIDDEN
    code = "EVENT_TYPE_NOT_ALLOWED"
    title = "Event type not allowed"


class InvalidWebhookUrlError(ProblemError):
    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "INVALID_WEBHOOK_URL"
    title = "Invalid webhook URL"


class SubscriptionNotFoundError(ProblemError):
    status_code = HTTPStatus.NOT_FOUND
    code = "SUBSCRIPTION_NOT_FOUND"
    title = "Subscription not found"


class DeliveryNotFoundError(ProblemError):
    status_code = HTTPStatus.NOT_FOUND
    code = "DELIVERY_NOT_FOUND"
    title = "Delivery not found"


class TooManySubscriptionsError(ProblemError):
    status_code = HTTPStatus.CONFLICT
    code = "TOO_MANY_SUBSCRIPTIONS"
    title = "Too many subscriptions"


class UnknownEventTypeError(ProblemError):
    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "UNKNOWN_EVENT_TYPE"
    title = "Unknown event type"


class UnknownCitizensError(ProblemError):
    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "UNKNOWN_CITIZENS"
    title = "Unknown citizens"
