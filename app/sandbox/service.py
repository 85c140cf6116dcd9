"""The persona catalogue, joined with what the registry holds for it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.sandbox import repository
from app.sandbox.schemas import PersonaList, PersonaRead
from seed.personas import PERSONAS


def list_personas(session: Session) -> PersonaList:
    """Personas are the first citizens of every seed (catalogue position = citizen id).

    A persona is listed only if the registry holds it under the catalogued name, so an
    unseeded or foreign database yields an empty list rather than wrong identities.
    """
    ids = list(range(1, len(PERSONAS) + 1))
    stored = repository.citizens_by_id(session, ids)
    personas = []
    for citizen_id, persona in zip(ids, PERSONAS, strict=True):
        found = stored.get(citizen_id)
        if found is None or found[1] != persona.full_name:
            continue
        personas.append(
            PersonaRead(
                key=persona.key,
                personal_id=found[0],
                full_name=found[1],
                tags=list(persona.tags),
                purpose=persona.purpose,
            )
        )
    return PersonaList(personas=personas)
