"""SQL of the token signing keys and of credential-change notifications."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.models import SigningKey


def signing_keys(session: Session) -> Sequence[SigningKey]:
    """All keys, newest first."""
    return session.scalars(
        select(SigningKey).order_by(SigningKey.created_at.desc(), SigningKey.kid)
    ).all()


def add_signing_key(session: Session, key: SigningKey) -> None:
    session.add(key)
    session.flush()


CREDENTIALS_CHANNEL = "popreg_credentials"
LISTENER_APPLICATION_NAME = "popreg-credentials-listener"
ACK_PREFIX = "ack:"


def notify_credentials_changed(session: Session, token: str) -> None:
    """PostgreSQL: notify every listening process when this transaction commits."""
    session.execute(
        text("SELECT pg_notify(:channel, :token)"),
        {"channel": CREDENTIALS_CHANNEL, "token": token},
    )


def count_listeners(session: Session) -> int:
    """Server processes listening for credential changes on this database now."""
    return int(
        session.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE application_name = :name AND datname = current_database()"
            ),
            {"name": LISTENER_APPLICATION_NAME},
        ).scalar_one()
    )


def listen_for_credential_changes(connection: Any) -> None:
    """Subscribe a psycopg connection (autocommit) to credential changes."""
    connection.execute(f"LISTEN {CREDENTIALS_CHANNEL}")


def acknowledge_change(connection: Any, token: str) -> None:
    """Tell the process that made change ``token`` that this one has dropped its cache."""
    connection.execute("SELECT pg_notify(%s, %s)", (CREDENTIALS_CHANNEL, ACK_PREFIX + token))


def ping(connection: Any) -> None:
    connection.execute("SELECT 1")
