"""Problems of statistics queries (problem+json codes, docs/statistics.md)."""

from __future__ import annotations

from http import HTTPStatus

from app.problems import ProblemError


class StatisticsQueryError(ProblemError):
    status_code = HTTPStatus.UNPROCESSABLE_ENTITY
    title = "Unprocessable Content"


class InvalidGroupByError(StatisticsQueryError):
    code = "INVALID_GROUP_BY"


class TooManyDimensionsError(StatisticsQueryError):
    code = "TOO_MANY_DIMENSIONS"


class TooManyCellsError(StatisticsQueryError):
    code = "TOO_MANY_CELLS"


class InvalidFilterError(StatisticsQueryError):
    code = "INVALID_FILTER"


class InvalidAgeRangeError(StatisticsQueryError):
    code = "INVALID_AGE_RANGE"


class InvalidReferenceDateError(StatisticsQueryError):
    code = "INVALID_AS_OF"


class ThresholdTooLowError(StatisticsQueryError):
    code = "K_BELOW_MINIMUM"


class DimensionNotAllowedError(ProblemError):
    status_code = HTTPStatus.FORBIDDEN
    code = "DIMENSION_NOT_ALLOWED"
    title = "Dimension not allowed"


class DisclosureControlRequiredError(ProblemError):
    status_code = HTTPStatus.FORBIDDEN
    code = "DISCLOSURE_CONTROL_REQUIRED"
    title = "Disclosure control required"
