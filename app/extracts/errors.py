"""Problems an extract request can meet, each with its stable code."""

from __future__ import annotations

from app.problems import ProblemError


class ExtractNotFoundError(ProblemError):
    status_code = 404
    code = "EXTRACT_NOT_FOUND"
    title = "Extract not found"


class ExtractNotFinishedError(ProblemError):
    status_code = 409
    code = "EXTRACT_NOT_FINISHED"
    title = "Extract not finished"


class ExtractFinishedError(ProblemError):
    status_code = 409
    code = "EXTRACT_FINISHED"
    title = "Extract already finished"


class ConsentPurposeError(ProblemError):
    """The same refusal as a cleaning job's: bulk work cannot ask each citizen."""

    status_code = 403
    code = "CONSENT_PURPOSE_NOT_SUPPORTED"
    title = "Purpose needs consent"


class CohortTooLargeError(ProblemError):
    status_code = 422
    code = "COHORT_TOO_LARGE"
    title = "Cohort too large"


class UnknownAreaError(ProblemError):
    status_code = 422
    code = "UNKNOWN_AREA"
    title = "Unknown province or ward"


class WardNotInProvinceError(ProblemError):
    status_code = 422
    code = "WARD_NOT_IN_PROVINCE"
    title = "Ward not in the province"


class NotAcceptableError(ProblemError):
    status_code = 406
    code = "NOT_ACCEPTABLE"
    title = "Not Acceptable"
