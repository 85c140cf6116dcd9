"""Response shapes of the sandbox endpoints."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from app.models.enums import MaritalStatus, Sex


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


class CitizenSample(BaseModel):
    """What a simulator needs to pick a plausible subject for a life event."""

    personal_id: str
    full_name: str
    sex: Sex
    birth_date: date
    marital_status: MaritalStatus
    spouse_personal_id: str | None = Field(description="The spouse on record, if any.")
    spouse_full_name: str | None = Field(
        description="The spouse's name: a child usually takes the father's family name."
    )


class CitizenSampleList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "citizens": [
                    {
                        "personal_id": "001190000011",
                        "full_name": "Lê Thị Mai",
                        "sex": "female",
                        "birth_date": "1990-06-14",
                        "marital_status": "married",
                        "spouse_personal_id": "001088000010",
                        "spouse_full_name": "Trần Văn Hùng",
                    },
                    {
                        "personal_id": "079201004512",
                        "full_name": "Phạm Quốc Huy",
                        "sex": "male",
                        "birth_date": "2001-02-03",
                        "marital_status": "single",
                        "spouse_personal_id": None,
                        "spouse_full_name": None,
                    },
                ]
            }
        }
    )

    citizens: list[CitizenSample]
