"""What Airflow's providers manager reads to register the ``tencent_kyc`` connection type and its form."""

from __future__ import annotations

from typing import Any

from tencent_kyc import __version__
from tencent_kyc.hooks.settings import DEFAULT_BASE_URL, EXTRA_FIELDS

PACKAGE_NAME = "tencent-kyc"


def get_provider_info() -> dict[str, Any]:
    """Provider metadata: one connection type with its own form, declared as data (no wtforms)."""
    return {
        "package-name": PACKAGE_NAME,
        "name": "Tencent Cloud KYC",
        "description": "Daily sync of Tencent Cloud Face Verification (人脸核身) ID-card OCR results.",
        "versions": [__version__],
        "connection-types": [
            {
                "connection-type": "tencent_kyc",
                "hook-class-name": "tencent_kyc.hooks.kyc.TencentKycHook",
                "hook-name": "Tencent Cloud KYC (WBappid)",
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port"],
                    "relabeling": {"host": "Base URL", "login": "WBappid", "password": "Secret"},
                    "placeholders": {"host": DEFAULT_BASE_URL, "login": "IDAXXXXX"},
                },
                "conn-fields": {
                    name: {"label": spec.label, "description": spec.description, "schema": dict(spec.schema)}
                    for name, spec in EXTRA_FIELDS.items()
                },
            }
        ],
    }
