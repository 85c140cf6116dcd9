import pytest
from pydantic import ValidationError

from app.config import DEFAULT_ADMIN_TOKEN, Mode, Settings


def test_settings_are_read_from_popreg_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POPREG_DATABASE_URL", "sqlite:////tmp/elsewhere.db")
    monkeypatch.setenv("POPREG_PORT", "9000")
    settings = Settings()
    assert settings.database_url == "sqlite:////tmp/elsewhere.db"
    assert settings.port == 9000


def test_default_database_is_sqlite_under_var() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == "sqlite:///var/popreg.db"
    assert settings.is_sqlite


@pytest.mark.parametrize("scheme", ["postgresql://", "postgres://"])
def test_plain_postgres_urls_use_psycopg(scheme: str) -> None:
    settings = Settings(database_url=f"{scheme}postgres@127.0.0.1/popreg")
    assert settings.database_url == "postgresql+psycopg://postgres@127.0.0.1/popreg"
    assert not settings.is_sqlite


def test_hardened_mode_refuses_the_default_admin_token() -> None:
    with pytest.raises(ValidationError, match="POPREG_ADMIN_TOKEN"):
        Settings(mode=Mode.HARDENED, admin_token=DEFAULT_ADMIN_TOKEN)


def test_hardened_mode_accepts_a_real_admin_token() -> None:
    settings = Settings(mode=Mode.HARDENED, admin_token="a-long-random-secret")
    assert settings.admin_token.get_secret_value() == "a-long-random-secret"


def test_unknown_log_level_is_refused() -> None:
    with pytest.raises(ValidationError, match="log level"):
        Settings(log_level="chatty")
