from http import HTTPStatus

from app.problems import ProblemError


class CitizenNotFoundError(ProblemError):
    status_code = HTTPStatus.NOT_FOUND
    code = "CITIZEN_NOT_FOUND"
    title = "Citizen not found"


class InvalidLegacyIdError(ProblemError):
    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "INVALID_LEGACY_ID"
    title = "Invalid legacy ID"
