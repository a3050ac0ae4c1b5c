"""Connection → settings: the declared extras, defaults, and errors that name the problem."""

from __future__ import annotations

from dataclasses import fields
from types import SimpleNamespace
from typing import Any

import pytest

from tencent_kyc.api.settings import DEFAULT_BASE_URL, EXTRA_FIELDS, KycSettings, SettingsError


def connection(host: str | None = None, extra: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    values = {"schema": None, "port": None, "login": "IDAKYC01", "password": "s" * 64, **kwargs}
    return SimpleNamespace(host=host, extra_dejson=extra or {}, **values)


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
