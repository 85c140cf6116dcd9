"""SQL of the token signing keys."""

from collections.abc import Sequence

from sqlalchemy import select
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
