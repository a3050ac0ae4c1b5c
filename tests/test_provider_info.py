"""After `make setup` the provider is installed and Airflow's providers manager registers its form."""

from __future__ import annotations

from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService
from airflow.providers_manager import ProvidersManager
from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

from tencent_kyc.hooks.settings import EXTRA_FIELDS


def test_connection_type_is_discovered_with_its_form() -> None:
    manager = ProvidersManager()
    assert "tencent-kyc" in manager.providers
    meta = {m.connection_type: m for m in HookMetaService.hook_meta_data()}["tencent_kyc"]
    assert meta.hook_name == "Tencent Cloud KYC (WBappid)"
    assert meta.hook_class_name == "tencent_kyc.hooks.kyc.TencentKycHook"
    assert meta.standard_fields is not None
    assert meta.standard_fields.login.title == "WBappid"
    assert meta.standard_fields.password.title == "Secret"
    assert meta.standard_fields.host.title == "Base URL"
    assert set(meta.extra_fields or {}) == set(EXTRA_FIELDS)
    quota = (meta.extra_fields or {})["qps_quota"]
    assert quota["schema"]["title"] == "QPS quota"
    assert quota["value"] == 20


def test_hook_class_resolves_from_the_connection_type() -> None:
    hook_info = ProvidersManagerTaskRuntime().hooks["tencent_kyc"]
    assert hook_info is not None
    assert hook_info.hook_class_name == "tencent_kyc.hooks.kyc.TencentKycHook"
