"""The plugin module is loaded by every Airflow process (a task's first ObjectStoragePath write loads the
plugins, for lineage): it must not import the dashboard's app, which pulls in FastAPI and the api-server."""

from __future__ import annotations

import json
import subprocess
import sys

from starlette.testclient import TestClient

from tencent_kyc.ui import URL_PREFIX
from tencent_kyc.ui.plugin import DashboardApp, KycDashboardPlugin

HEAVY = ("fastapi", "airflow.api_fastapi.app", "tencent_kyc.ui.app")


def test_loading_the_plugin_imports_neither_fastapi_nor_the_app() -> None:
    probe = f"import sys, json, tencent_kyc.ui.plugin; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert json.loads(loaded.splitlines()[-1]) == []


def test_the_mounted_app_builds_the_dashboard_on_its_first_request() -> None:
    (mounted,) = KycDashboardPlugin.fastapi_apps
    assert mounted["url_prefix"] == URL_PREFIX and isinstance(mounted["app"], DashboardApp)
    with TestClient(DashboardApp()) as client:
        page = client.get("/")  # the nav page: no data, served without login
        assert page.status_code == 200 and "<html" in page.text
        assert client.get("/api/days").status_code == 401  # the API still asks who is calling
