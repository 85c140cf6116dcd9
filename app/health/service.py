"""Readiness rules: the database answers and its schema is at the code's revision."""

from sqlalchemy.exc import SQLAlchemyError

from app.db import Database
from app.health import repository
from app.health.schemas import Readiness
from app.problems import DatabaseUnavailableError, SchemaOutOfDateProblem
from app.schema import schema_state

RETRY_AFTER_SECONDS = "5"


def check_readiness(database: Database) -> Readiness:
    try:
        with database.engine.connect() as connection:
            repository.ping(connection)
        state = schema_state(database.engine)
    except SQLAlchemyError as exc:
        raise DatabaseUnavailableError(
            "The database is not reachable.", headers={"Retry-After": RETRY_AFTER_SECONDS}
        ) from exc
    if not state.is_current:
        raise SchemaOutOfDateProblem(state.describe())
    return Readiness(database=database.dialect, schema_revision=state.current)
