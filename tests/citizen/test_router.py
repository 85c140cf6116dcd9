"""The citizen's side: sign in, own record, who read it, and consent that agencies obey."""

import httpx
import pytest

from app.config import Mode, Settings
from app.main import create_app
from tests.conftest import Registry

pytestmark = pytest.mark.anyio


async def sign_in(client: httpx.AsyncClient, personal_id: str) -> dict[str, str]:
    response = await client.post(
        "/v1/citizen/login", json={"personal_id": personal_id, "code": "123456"}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.mark.parametrize(
    ("personal_id", "code"),
    [("079085000103", "000000"), ("079085999999", "123456"), ("not-an-id", "123456")],
)
async def test_wrong_code_or_unknown_person_is_one_answer(
    client: httpx.AsyncClient, registry: Registry, personal_id: str, code: str
) -> None:
    response = await client.post(
        "/v1/citizen/login", json={"personal_id": personal_id, "code": code}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "INVALID_CITIZEN_LOGIN"
    assert response.json()["detail"] == "That personal ID and code do not sign anyone in."


async def test_citizen_sees_their_whole_record(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    me = await client.get("/v1/me", headers=await sign_in(client, registry.head))
    assert me.status_code == 200
    record = me.json()
    assert record["personal_id"] == registry.head
    assert record["spouse"]["personal_id"] == registry.spouse
    assert record["phone"] == "0903123456"


async def test_agency_tokens_do_not_open_the_citizen_side(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    bank_token = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("phusa-bank", registry.keys["phusa-bank"]),
    )
    response = await client.get(
        "/v1/me", headers={"Authorization": f"Bearer {bank_token.json()['access_token']}"}
    )
    assert response.status_code == 401


async def test_bank_without_consent_is_refused_and_the_citizen_sees_it(
    committing_client: httpx.AsyncClient, registry: Registry
) -> None:
    client = committing_client
    bank = {"X-API-Key": registry.keys["phusa-bank"], "X-Purpose": "contact_update"}
    refused = await client.get(f"/v1/citizens/{registry.spouse}", headers=bank)
    assert refused.status_code == 403
    assert refused.json()["code"] == "CONSENT_REQUIRED"

    citizen = await sign_in(client, registry.spouse)
    log = (await client.get("/v1/me/access-log", headers=citizen)).json()["records"]
    attempt = next(r for r in log if r["outcome"] == "denied")
    assert attempt["agency"] == "phusa-bank"
    assert attempt["purpose"] == "contact_update"
    assert attempt["summary"] == (
        "Ngân hàng Phù Sa (demo) asked for your data for “Read a customer's phone and email to "
        "update contact details” and was refused: it needed your consent, which you had not given."
    )

    granted = await client.post(
        "/v1/me/consents",
        json={"agency": "phusa-bank", "purpose": "contact_update", "days": 30},
        headers=citizen,
    )
    assert granted.status_code == 201, granted.text
    assert granted.json()["status"] == "live"
    allowed = await client.get(f"/v1/citizens/{registry.spouse}", headers=bank)
    assert allowed.status_code == 200
    assert sorted(allowed.json()) == ["email", "full_name", "personal_id", "phone"]

    withdrawn = await client.delete(f"/v1/me/consents/{granted.json()['id']}", headers=citizen)
    assert withdrawn.json()["status"] == "withdrawn"
    again = await client.get(f"/v1/citizens/{registry.spouse}", headers=bank)
    assert again.json()["code"] == "CONSENT_REQUIRED"

    log = (await client.get("/v1/me/access-log", headers=citizen)).json()["records"]
    summaries = [r["summary"] for r in log]
    assert any(
        s.startswith("Ngân hàng Phù Sa (demo) read your personal ID number") for s in summaries
    )
    assert any(s.startswith("You gave Ngân hàng Phù Sa (demo) consent") for s in summaries)
    assert any(s.startswith("You withdrew your consent") for s in summaries)
    assert [r["seq"] for r in log] == sorted((r["seq"] for r in log), reverse=True)


async def test_consent_is_only_for_purposes_that_ask_for_it(
    client: httpx.AsyncClient, registry: Registry
) -> None:
    citizen = await sign_in(client, registry.head)
    not_needed = await client.post(
        "/v1/me/consents",
        json={"agency": "phusa-bank", "purpose": "kyc_onboarding"},
        headers=citizen,
    )
    assert not_needed.status_code == 422
    assert not_needed.json()["code"] == "CONSENT_NOT_NEEDED"
    unknown = await client.post(
        "/v1/me/consents", json={"agency": "phusa-bank", "purpose": "nothing"}, headers=citizen
    )
    assert unknown.status_code == 404
    gone = await client.delete("/v1/me/consents/999999", headers=citizen)
    assert gone.status_code == 404


async def test_hardened_mode_disables_the_public_sandbox_code(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"mode": Mode.HARDENED, "admin_token": "x" * 32}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post(
            "/v1/citizen/login", json={"personal_id": "079085000103", "code": "123456"}
        )
    app.state.database.dispose()
    assert response.status_code == 403
    assert response.json()["code"] == "CITIZEN_LOGIN_DISABLED"
