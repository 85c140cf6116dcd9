"""Schema version management: run Alembic migrations and tell whether a database is current."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

import migrations

UPGRADE_COMMAND = "popreg db upgrade"


def alembic_config(database_url: str | None = None) -> Config:
    """An Alembic config pointing at the migrations shipped inside the package."""
    config = Config()
    config.set_main_option("script_location", str(Path(next(iter(migrations.__path__)))))
    config.attributes["configure_logger"] = False
    if database_url is not None:
        # ConfigParser treats % as interpolation; URLs may contain escaped characters.
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


@lru_cache
def head_revision() -> str | None:
    """The newest revision the code knows about."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@dataclass(frozen=True, slots=True)
class SchemaState:
    current: str | None
    head: str | None

    @property
    def is_current(self) -> bool:
        return self.current == self.head

    def describe(self) -> str:
        if self.is_current:
            return f"database schema is current (revision {self.head})"
        if self.current is None:
            return (
                "database has no schema yet (expected revision "
                f"{self.head}); run `{UPGRADE_COMMAND}` to create it"
            )
        return (
            f"database schema is at revision {self.current} but this version of popreg "
            f"needs {self.head}; run `{UPGRADE_COMMAND}` to migrate it"
        )


class SchemaOutOfDateError(RuntimeError):
    """The database is behind the code: the server must not start on it."""

    def __init__(self, state: SchemaState) -> None:
        super().__init__(state.describe())
        self.state = state


def schema_state(engine: Engine) -> SchemaState:
    return SchemaState(current=current_revision(engine), head=head_revision())


def require_current_schema(engine: Engine) -> SchemaState:
    """Raise ``SchemaOutOfDateError`` unless the database is at the head revision."""
    state = schema_state(engine)
    if not state.is_current:
        raise SchemaOutOfDateError(state)
    return state


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)
