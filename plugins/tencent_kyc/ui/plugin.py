"""The Airflow plugin (entry point ``airflow.plugins``): the dashboard's app and its two UI entries.

The entries are external views: pages the dashboard's app serves itself, shown by the Airflow UI in a frame.
A React app would run inside the UI's own page with its React and Chakra; a page of its own depends on nothing
of the UI but the login cookie, so an Airflow upgrade cannot break it, it needs no build against the UI's
libraries, and it can also be opened on its own (``/tencent-kyc/``). Relative ``href`` values resolve against
the UI's base URL, so a deployment under a sub-path works too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from airflow.plugins_manager import AirflowPlugin

from tencent_kyc.ui import URL_PREFIX

PREFIX = URL_PREFIX.strip("/")

Message = MutableMapping[str, Any]


class DashboardApp:
    """The dashboard's ASGI app, imported on its first request. Every Airflow process loads the plugins (a task's
    first write through ObjectStoragePath does, for lineage), and the app's imports (FastAPI, the api-server's
    auth) would cost each task process about a second; only the api-server ever calls this."""

    def __init__(self) -> None:
        self._app: Callable[..., Awaitable[None]] | None = None

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if self._app is None:
            from tencent_kyc.ui.app import app

            self._app = app
        await self._app(scope, receive, send)


class KycDashboardPlugin(AirflowPlugin):
    name = "tencent_kyc_dashboard"
    fastapi_apps = [  # noqa: RUF012 (Airflow reads these class attributes)
        {"app": DashboardApp(), "url_prefix": URL_PREFIX, "name": "Tencent KYC dashboard"}
    ]
    external_views = [  # noqa: RUF012
        {
            "name": "Tencent KYC",
            "href": f"{PREFIX}/",
            "destination": "nav",
            "url_route": "tencent-kyc",
            "nav_top_level": True,
        },
        {
            "name": "KYC day",
            "href": f"{PREFIX}/run?dag_id={{DAG_ID}}&run_id={{RUN_ID}}",
            "destination": "dag_run",
            "url_route": "tencent-kyc-day",
        },
    ]
