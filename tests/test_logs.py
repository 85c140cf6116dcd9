"""Logs are JSON lines with the request id and without personal data."""

import logging

import httpx
import orjson
import pytest

from app.config import LogFormat, Settings
from app.logs import ConsoleFormatter, JsonFormatter
from app.problems import request_id_var

pytestmark = pytest.mark.anyio
PERSONAL = "Nguyễn Văn Bí Mật 001084000999"


def make_record(exc_info: object = None) -> logging.LogRecord:
    return logging.LogRecord(
        "popreg.test",
        logging.ERROR,
        __file__,
        1,
        "lookup failed",
        (),
        exc_info,  # type: ignore[arg-type]
    )


def test_json_line_carries_request_id_and_fields() -> None:
    token = request_id_var.set("req-1")
    try:
        record = make_record()
        record.fields = {"route": "/v1/citizens/{personal_id}", "status": 404}
        entry = orjson.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert entry["request_id"] == "req-1"
    assert entry["message"] == "lookup failed"
    assert entry["route"] == "/v1/citizens/{personal_id}"
    assert entry["level"] == "error"


@pytest.mark.parametrize("formatter", [JsonFormatter(), ConsoleFormatter()])
def test_exception_messages_are_left_out(formatter: logging.Formatter) -> None:
    try:
        raise ValueError(PERSONAL)
    except ValueError:
        import sys

        text = formatter.format(make_record(sys.exc_info()))
    assert "ValueError" in text
    assert "Bí Mật" not in text
    assert "001084000999" not in text


async def test_access_log_names_the_route_template_not_the_path(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    from app.main import create_app

    app = create_app(settings.model_copy(update={"log_format": LogFormat.JSON}))

    @app.get("/probe/citizens/{personal_id}")
    async def probe(personal_id: str) -> dict[str, int]:
        return {"length": len(personal_id)}

    transport = httpx.ASGITransport(app=app)
    with caplog.at_level(logging.INFO, logger="popreg.access"):
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await client.get("/probe/citizens/001084000999")
    app.state.database.dispose()
    access = [r for r in caplog.records if r.name == "popreg.access"]
    assert len(access) == 1
    line = JsonFormatter().format(access[0])
    assert "001084000999" not in line
    assert orjson.loads(line)["route"] == "/probe/citizens/{personal_id}"
