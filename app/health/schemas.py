from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Liveness(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"status": "ok", "version": "0.1.0"}})

    status: Literal["ok"] = "ok"
    version: str = Field(examples=["0.1.0"])


class Readiness(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {"status": "ready", "database": "sqlite", "schema_revision": "0001"}
        }
    )

    status: Literal["ready"] = "ready"
    database: str = Field(description="Database dialect: `sqlite` or `postgresql`.")
    schema_revision: str | None = Field(description="Alembic revision the database is at.")
