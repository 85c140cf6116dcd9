"""Authentication and authorisation errors (problem+json codes)."""

from http import HTTPStatus

from app.problems import ProblemError

BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="popreg", ApiKey header="X-API-Key"'}


class UnauthenticatedError(ProblemError):
    status_code = HTTPStatus.UNAUTHORIZED
    code = "UNAUTHENTICATED"
    title = "Authentication required"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers=BEARER_CHALLENGE)


class InvalidCredentialsError(UnauthenticatedError):
    code = "INVALID_CREDENTIALS"
    title = "Invalid credentials"


class InvalidClientError(ProblemError):
    """OAuth2 client authentication failed (RFC 6749 `invalid_client`)."""

    status_code = HTTPStatus.UNAUTHORIZED
    code = "INVALID_CLIENT"
    title = "Invalid client"


class InvalidScopeError(ProblemError):
    status_code = HTTPStatus.BAD_REQUEST
    code = "INVALID_SCOPE"
    title = "Invalid scope"


class UnsupportedGrantTypeError(ProblemError):
    status_code = HTTPStatus.BAD_REQUEST
    code = "UNSUPPORTED_GRANT_TYPE"
    title = "Unsupported grant type"


class PurposeRequiredError(ProblemError):
    status_code = HTTPStatus.BAD_REQUEST
    code = "PURPOSE_REQUIRED"
    title = "Purpose required"


class PurposeNotAllowedError(ProblemError):
    status_code = HTTPStatus.FORBIDDEN
    code = "PURPOSE_NOT_ALLOWED"
    title = "Purpose not allowed"


class OperationNotAllowedError(ProblemError):
    status_code = HTTPStatus.FORBIDDEN
    code = "OPERATION_NOT_ALLOWED"
    title = "Operation not allowed"


class FieldNotAllowedError(ProblemError):
    status_code = HTTPStatus.FORBIDDEN
    code = "FIELD_NOT_ALLOWED"
    title = "Field not allowed"


class AdminRequiredError(ProblemError):
    status_code = HTTPStatus.FORBIDDEN
    code = "ADMIN_REQUIRED"
    title = "Admin token required"


class ConsentRequiredError(ProblemError):
    status_code = HTTPStatus.FORBIDDEN
    code = "CONSENT_REQUIRED"
    title = "Consent required"
