"""The credential stores by kind (the connection's ``credential_store`` extra): one line per store."""

from __future__ import annotations

from tencent_kyc.credentials.base import CredentialStore, StoreSettingsError
from tencent_kyc.credentials.database_store import DatabaseCredentialStore
from tencent_kyc.credentials.file_store import FileCredentialStore
from tencent_kyc.credentials.process_store import ProcessCredentialStore
from tencent_kyc.registry import Registry

STORES: Registry[type[CredentialStore]] = Registry(
    "credential store",
    {
        "file": FileCredentialStore,
        "database": DatabaseCredentialStore,
        "process": ProcessCredentialStore,
    },
)

__all__ = ["STORES", "StoreSettingsError"]
