"""Settings: `BBWS_*` environment variables, and aws mode refusing unsafe defaults."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from bbws.core.settings import DEFAULT_SECRET, Settings, SettingsError

GOOD_AWS = {
    "mode": "aws",
    "store": "dynamodb",
    "cursor_secret": "x" * 40,
    "jwks_url": "https://cognito-idp.af-south-1.amazonaws.com/pool/.well-known/jwks.json",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("BBWS_"):
            monkeypatch.delenv(name)


def test_local_defaults() -> None:
    s = Settings()
    assert s.mode == "local" and s.store == "sqlite" and s.cursor_secret == DEFAULT_SECRET
    assert s.base_url == "http://127.0.0.1:8080"
    assert s.sqlite_path == s.data_dir / "bbws.sqlite3"


def test_aws_mode_with_real_settings_is_accepted() -> None:
    s = Settings(**GOOD_AWS)  # type: ignore[arg-type]
    assert s.mode == "aws"


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"cursor_secret": DEFAULT_SECRET}, "BBWS_CURSOR_SECRET"),
        ({"cursor_secret": "too-short"}, "BBWS_CURSOR_SECRET"),
        ({"jwks_url": None}, "BBWS_JWKS_URL"),
        ({"store": "sqlite"}, "BBWS_STORE"),
    ],
)
def test_aws_mode_refuses_defaults(change: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(**{**GOOD_AWS, **change})  # type: ignore[arg-type]
    assert complaint in str(caught.value)


def test_aws_mode_from_the_environment_refuses_the_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BBWS_MODE", "aws")
    monkeypatch.setenv("BBWS_STORE", "dynamodb")
    monkeypatch.setenv("BBWS_JWKS_URL", GOOD_AWS["jwks_url"])
    with pytest.raises(ValidationError):
        Settings()
    monkeypatch.setenv("BBWS_CURSOR_SECRET", "y" * 32)
    assert Settings().mode == "aws"


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BBWS_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("BBWS_PORT", "9123")
    monkeypatch.setenv("BBWS_HOST", "0.0.0.0")
    monkeypatch.setenv("BBWS_STORE", "dynamodb")
    monkeypatch.setenv("BBWS_DYNAMODB_TABLE", "bbws-test")
    monkeypatch.setenv("BBWS_ENVIRONMENT", "sit")
    monkeypatch.setenv("BBWS_RATE_LIMIT_TENANT_BURST", "7")
    monkeypatch.setenv("BBWS_PUBLIC_URL", "https://api.sit.bbws.io")
    s = Settings()
    assert s.data_dir == tmp_path / "d" and s.sqlite_path == tmp_path / "d" / "bbws.sqlite3"
    assert (s.port, s.host, s.store, s.dynamodb_table) == (9123, "0.0.0.0", "dynamodb", "bbws-test")
    assert s.environment == "sit" and s.rate_limit_tenant_burst == 7
    assert s.base_url == "https://api.sit.bbws.io"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BBWS_PORT", "eighty"),
        ("BBWS_STORE", "postgres"),
        ("BBWS_ENVIRONMENT", "qa"),
        ("BBWS_MAX_BODY_BYTES", "10"),
        ("BBWS_RATE_LIMIT_TOKEN_PER_SECOND", "0"),
        ("BBWS_MODE", "cloud"),
    ],
)
def test_bad_environment_values_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


def test_unrelated_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BBWS_NOT_A_SETTING", "1")
    monkeypatch.setenv("PORT", "1")
    assert Settings().port == 8080


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("BBWS_HEALTH_LOOKBACK_HOURS", "0", "BBWS_HEALTH_LOOKBACK_HOURS=0: must be greater than 0"),
        ("BBWS_PORT", "eighty", "BBWS_PORT=eighty: must be a valid integer"),
        ("BBWS_STORE", "postgres", "BBWS_STORE=postgres: must be 'sqlite' or 'dynamodb'"),
        ("BBWS_INSTANCE_PORTS", "20000", "BBWS_INSTANCE_PORTS=20000: must be a port range of the form 20000-29999"),
        ("BBWS_CURSOR_SECRET", "", "BBWS_CURSOR_SECRET must be set"),
    ],
)
def test_load_names_the_variable_and_its_rule_in_one_line(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, said: str
) -> None:
    monkeypatch.setenv(name, value)
    if name == "BBWS_CURSOR_SECRET":
        monkeypatch.setenv("BBWS_MODE", "aws")
    with pytest.raises(SettingsError) as refused:
        Settings.load()
    assert said in str(refused.value) and "\n" not in str(refused.value)
