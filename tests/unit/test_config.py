from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from recete_app.backend.config import ConfigurationError, Settings


@pytest.mark.parametrize("secret", [None, "", "changeme", "short-secret"])
def test_production_refuses_to_start_without_a_real_secret(secret: str | None) -> None:
    settings = Settings(env="prod", secret_key=SecretStr(secret) if secret is not None else None)
    with pytest.raises(ConfigurationError, match="RECETE_SECRET_KEY is missing or a placeholder"):
        settings.root_secret()


def test_production_uses_the_configured_secret() -> None:
    secret = "p" * 48
    assert Settings(env="prod", secret_key=SecretStr(secret)).root_secret() == secret


def test_dev_generates_a_secret_once_and_reuses_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(env="dev", secret_key=None, data_dir=tmp_path)
    first = settings.root_secret()
    assert "generated a development secret" in caplog.text
    assert len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert Settings(env="dev", secret_key=None, data_dir=tmp_path).root_secret() == first


def test_log_format_follows_the_environment() -> None:
    assert Settings(env="dev").log_format == "console"
    assert Settings(env="prod").log_format == "json"
    assert Settings(env="prod", log_format="console").log_format == "console"


def test_previous_secrets_are_comma_separated() -> None:
    settings = Settings(previous_secret_keys=SecretStr(" a , b ,,"))
    assert settings.previous_secrets() == ["a", "b"]
