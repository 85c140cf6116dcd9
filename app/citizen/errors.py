from http import HTTPStatus

from app.problems import ProblemError


class InvalidCitizenLoginError(ProblemError):
    status_code = HTTPStatus.UNAUTHORIZED
    code = "INVALID_CITIZEN_LOGIN"
    title = "Invalid sign-in"


class CitizenLoginDisabledError(ProblemError):
    status_code = HTTPStatus.FORBIDDEN
    code = "CITIZEN_LOGIN_DISABLED"
    title = "Citizen sign-in disabled"


class ConsentNotFoundError(ProblemError):
    status_code = HTTPStatus.NOT_FOUND
    code = "CONSENT_NOT_FOUND"
    title = "Consent not found"


class PurposeUnknownError(ProblemError):
    status_code = HTTPStatus.NOT_FOUND
    code = "PURPOSE_NOT_FOUND"
    title = "No such purpose"


class ConsentNotNeededError(ProblemError):
    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "CONSENT_NOT_NEEDED"
    title = "Consent not needed"
