from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class TokenResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "access_token": "eyJhbGciOiJSUzI1NiIsImtpZCI6IjNmOWExYzJiNGQ1ZTZmNzAifQ…",
                "token_type": "Bearer",
                "expires_in": 900,
                "scope": "kyc_onboarding kyc_refresh",
            }
        }
    )

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - a scheme name, not a secret
    expires_in: int = Field(description="Seconds until the token expires.")
    scope: str = Field(description="Space-separated purposes the token may act under.")


class JsonWebKeySet(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "keys": [
                    {
                        "kty": "RSA",
                        "kid": "68b926061eedfe45",
                        "use": "sig",
                        "alg": "RS256",
                        "n": "mZlhYryS9HIDVV7r…",
                        "e": "AQAB",
                        "key_ops": ["verify"],
                    }
                ]
            }
        }
    )

    keys: list[dict[str, Any]]
