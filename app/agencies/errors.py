from http import HTTPStatus

from app.problems import ProblemError


class AgencyNotFoundError(ProblemError):
    status_code = HTTPStatus.NOT_FOUND
    code = "AGENCY_NOT_FOUND"
    title = "Agency not found"


class AgencyExistsError(ProblemError):
    status_code = HTTPStatus.CONFLICT
    code = "AGENCY_EXISTS"
    title = "Agency already exists"


class ApiKeyNotFoundError(ProblemError):
    status_code = HTTPStatus.NOT_FOUND
    code = "API_KEY_NOT_FOUND"
    title = "API key not found"


class PurposeNotFoundError(ProblemError):
    status_code = HTTPStatus.NOT_FOUND
    code = "PURPOSE_NOT_FOUND"
    title = "Purpose not found"
