"""Response shapes of the sandbox endpoints."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PersonaRead(BaseModel):
    key: str = Field(description="Stable name of the persona, e.g. `deceased`.")
    personal_id: str = Field(description="12-digit personal ID, the same in every seeded registry.")
    full_name: str
    tags: list[str] = Field(description="What kind of test identity this is.")
    purpose: str = Field(description="What a tester uses it for.")


class PersonaList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "personas": [
                    {
                        "key": "deceased",
                        "personal_id": "040048058096",
                        "full_name": "Hồ Văn Thắng",
                        "tags": ["deceased", "has-phone"],
                        "purpose": "Died in 2024 but keeps a phone on record: telecoms and banks "
                        "must flag the still-active subscriber.",
                    }
                ]
            }
        }
    )

    personas: list[PersonaRead]
