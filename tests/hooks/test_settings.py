"""Connection → settings: the declared extras, defaults, and errors that name the problem."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from types import SimpleNamespace
from typing import Any

import pytest

from tencent_kyc.hooks.settings import DEFAULT_BASE_URL, EXTRA_FIELDS, KycSettings, SettingsError


def connection(host: str | None = None, extra: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    values = {"schema": None, "port": None, "login": "IDAKYC01", "password": "s" * 64, **kwargs}
    return SimpleNamespace(host=host, extra=json.dumps(extra) if extra else None, **values)


def test_defaults_follow_tencent() -> None:
    settings = KycSettings.from_connection(connection())
    assert settings.base_url == DEFAULT_BASE_URL
    assert settings.refresh_seconds == 1200
    assert settings.qps_quota == 20
    assert settings.verify is True
    assert settings.app_id_param == "app_id"


def test_every_extra_is_a_settings_field_and_has_a_ui_schema() -> None:
    names = {f.name for f in fields(KycSettings)}
    for name, spec in EXTRA_FIELDS.items():
        assert name in names
        assert spec.schema["type"]


def test_extras_are_parsed_from_strings_as_the_ui_sends_them() -> None:
    extra = {"qps_quota": "200", "verify_tls": "false", "refresh_seconds": "5", "app_id_param": "appId"}
    settings = KycSettings.from_connection(connection("http://127.0.0.1:8000/", extra))
    assert settings.base_url == "http://127.0.0.1:8000"
    assert (settings.qps_quota, settings.verify, settings.refresh_seconds) == (200.0, False, 5.0)
    assert settings.app_id_param == "appId"


def test_host_schema_and_port_build_a_url() -> None:
    assert KycSettings.from_connection(connection("kyc1.qcloud.com")).base_url == "https://kyc1.qcloud.com"
    assert KycSettings.from_connection(connection("h", schema="http", port=81)).base_url == "http://h:81"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"extra": {"refresh_seconds": 1800}}, "20-minute"),
        ({"extra": {"qps_quota": "many"}}, "qps_quota"),
        ({"extra": {"bogus": 1}}, "unknown extra"),
        ({"extra": {"credential_store": "database"}}, "credential_conn_id"),
        ({"extra": {"verify_tls": "maybe"}}, "verify_tls"),
        ({"login": ""}, "WBappid"),
        ({"password": None}, "secret"),
        ({"host": "ftp://x"}, "http"),
    ],
)
def test_bad_connections_are_refused_with_a_clear_message(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        KycSettings.from_connection(connection(**kwargs))


def test_secret_is_not_in_repr() -> None:
    assert "s" * 64 not in repr(KycSettings.from_connection(connection()))


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("backoff_seconds", -1, "allowed 0 to 60"),
        ("max_backoff_seconds", -5, "allowed 0 to 600"),
        ("max_attempts", 500, "allowed 1 to 20"),
        ("pool_size", 100000, "allowed 1 to 512"),
        ("photo_retries", -3, "allowed 0 to 10"),
        ("photo_retry_interval", -1, "allowed 0 to 30"),
        ("qps_quota", 0, "allowed 0.1 to 100000"),
        ("max_attempts", 2.5, "whole number"),
        ("pool_size", True, "boolean"),
        ("connect_timeout", "soon", "could not convert"),
        ("app_id_param", "appid", "one of app_id, appId"),
    ],
)
def test_out_of_range_and_ill_typed_extras_fail_the_hook_before_any_request(
    name: str, value: Any, allowed: str, simulator: Any, kyc_connection: Any
) -> None:
    from tencent_kyc.hooks.kyc import TencentKycHook

    hook = TencentKycHook(kyc_connection(simulator, **{name: value}))
    with pytest.raises(SettingsError, match=rf"extra field '{name}' = {re.escape(repr(value))}.*{allowed}"):
        hook.get_ocr_result("A1")
    assert sum(simulator.stats()["requests"].values()) == 0


def test_each_default_is_declared_once_and_the_form_shows_it() -> None:
    settings = KycSettings(app_id="IDAKYC01", secret="s" * 64)
    for name, declared in EXTRA_FIELDS.items():
        assert getattr(settings, name) == declared.default
        if declared.default is not None:
            assert declared.schema["default"] == declared.default
    assert EXTRA_FIELDS["max_attempts"].schema == {
        "type": ["integer", "null"],
        "default": 6,
        "minimum": 1,
        "maximum": 20,
    }


def test_the_hook_registers_no_short_value_with_the_masker(
    simulator: Any, kyc_connection: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Airflow warns once per process about a value too short to mask; the hook registers only secrets."""
    from airflow.sdk._shared.secrets_masker.secrets_masker import SecretsMasker

    from tencent_kyc.hooks.kyc import TencentKycHook, _mask

    SecretsMasker._has_warned_short_secret = False
    hook = TencentKycHook(kyc_connection(simulator, verify_tls=True, app_id_param="appId"))
    with caplog.at_level("WARNING"):
        hook.get_credentials()
        _mask("abc")
    assert not [record for record in caplog.records if "too short" in record.getMessage()]


def test_direct_construction_gets_the_same_checks() -> None:
    with pytest.raises(SettingsError, match="extra field 'max_attempts' = 0 is out of range"):
        KycSettings(app_id="IDAKYC01", secret="s" * 64, max_attempts=0)


def test_the_readme_documents_exactly_the_declared_extras() -> None:
    from pathlib import Path

    from tencent_kyc.hooks.settings import markdown

    assert markdown() in (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
