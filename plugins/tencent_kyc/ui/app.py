"""The dashboard's FastAPI app, mounted by the Airflow api-server under :data:`tencent_kyc.ui.URL_PREFIX`: a JSON
API the pages read, the two pages, and their assets.

Every ``/api/*`` route requires an authenticated Airflow user (401 otherwise); those of one DAG also read
access to the DAG named by ``dag_id``, and the verdicts, which join every sync's data, read access to every KYC
DAG (403 otherwise), through Airflow's own auth manager. The pages and their assets hold no data and are
served to anyone, so that a signed-out user gets a page that offers to sign in, not a bare 401 in the frame.
Everything is GET: the dashboard never writes. Its data come from the warehouse connection
``TENCENT_KYC_WAREHOUSE_CONN_ID`` (default ``tencent_kyc_warehouse``), never from the metadata database.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
from airflow.api_fastapi.core_api.security import GetUserDep, requires_access_dag, requires_authenticated
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse

from tencent_kyc.hooks.pacer import HEADROOM
from tencent_kyc.ui.data import DEFAULT_RETENTION_DAYS, Dashboard, describe
from tencent_kyc.ui.verdicts import VERDICTS, verdicts_by_order_date
from tencent_kyc.warehouse.base import WarehouseError
from tencent_kyc.warehouse.dialects import warehouse_for
from tencent_kyc.warehouse.schema import VERIFICATIONS
from tencent_kyc.warehouse.syncs import SYNCS

WAREHOUSE_ENV = "TENCENT_KYC_WAREHOUSE_CONN_ID"
DEFAULT_WAREHOUSE = "tencent_kyc_warehouse"
#: Days shown when the page does not say.
DEFAULT_DAYS = 30
HERE = Path(__file__).resolve().parent
PAGES, STATIC = HERE / "pages", HERE / "static"
#: The assets the pages load, and their types (nothing else under static/ is served).
ASSETS = {"dashboard.js": "text/javascript", "dashboard.css": "text/css"}

#: The share of the QPS quota the fetch paces at: the pages draw it as the goal of the quota use.
FETCH_GOAL = HEADROOM

AUTHENTICATED = [Depends(requires_authenticated())]
READS_DAG = [Depends(requires_access_dag("GET", DagAccessEntity.RUN))]

app = FastAPI(title="Tencent KYC dashboard", docs_url=None, redoc_url=None, openapi_url=None)


def dashboard() -> Dashboard:
    conn_id = os.environ.get(WAREHOUSE_ENV) or DEFAULT_WAREHOUSE
    try:
        return Dashboard(warehouse_for(conn_id))
    except WarehouseError as exc:
        raise HTTPException(503, f"the dashboard's warehouse is not reachable: {exc}") from None


def kyc_dags(board: Dashboard) -> list[str]:
    """The DAGs whose data ``kyc_verifications`` joins: every sync's DAG, and any other that recorded a day."""
    return sorted({sync.dag_id for _, sync in SYNCS.items()} | set(board.dags()))


def reads_every_kyc_dag(request: Request, user: GetUserDep) -> None:
    """Airflow's own DAG read check, for each KYC DAG in turn: a verdict shows both sides of an order, so a
    user who may not read one sync's DAG must not see verdicts at all (403, as for a single DAG)."""
    for dag_id in kyc_dags(dashboard()):
        requires_access_dag("GET", DagAccessEntity.RUN, param_dag_id=dag_id)(request, user)


def date_range(since: date | None, until: date | None) -> tuple[date, date]:
    """The range asked for, by default the last :data:`DEFAULT_DAYS` days up to today (UTC)."""
    until = until or datetime.now(UTC).date()
    since = since or until - timedelta(days=DEFAULT_DAYS)
    if since > until:
        raise HTTPException(422, "since must not be after until")
    return since, until


@app.get("/api/dags", dependencies=AUTHENTICATED)
def dags(user: GetUserDep) -> list[dict[str, Any]]:
    """The DAGs with recorded days that this user may read."""
    readable = get_auth_manager().get_authorized_dag_ids(user=user, method="GET")
    return [
        {"dag_id": dag_id, "sync": describe(Dashboard.sync(dag_id, None))}
        for dag_id in dashboard().dags()
        if dag_id in readable
    ]


@app.get("/api/days", dependencies=READS_DAG)
def days(dag_id: str, since: date | None = None, until: date | None = None) -> dict[str, Any]:
    """One object per run date of the DAG from ``since`` (default: 30 days ago) to ``until`` (default: today),
    with the open orders by the day they expire."""
    since, until = date_range(since, until)
    board = dashboard()
    found = board.days(dag_id, since, until)
    sync = Dashboard.sync(dag_id, found[-1]["sync"]["name"] if found and found[-1]["sync"] else None)
    retention = next((day["retention_days"] for day in reversed(found) if day.get("retention_days")), None)
    return {
        "dag_id": dag_id,
        "sync": describe(sync),
        "since": since.isoformat(),
        "until": until.isoformat(),
        "days": found,
        "open_orders": board.open_orders(sync, retention or DEFAULT_RETENTION_DAYS) if sync else [],
        "fetch_goal": FETCH_GOAL,
    }


@app.get("/api/days/{run_date}", dependencies=READS_DAG)
def day(run_date: date, dag_id: str) -> dict[str, Any]:
    """The day of ``run_date``, with where its quarantined records and refused values are."""
    found = dashboard().day(dag_id, run_date=run_date)
    if found is None:
        raise HTTPException(404, f"no recorded day {run_date} for {dag_id}")
    return {**found, "fetch_goal": FETCH_GOAL}


@app.get("/api/runs/{run_id}", dependencies=READS_DAG)
def run(run_id: str, dag_id: str) -> dict[str, Any]:
    """The day an Airflow run recorded (what the run tab shows)."""
    found = dashboard().day(dag_id, dag_run_id=run_id)
    if found is None:
        raise HTTPException(404, f"run {run_id} of {dag_id} recorded no day (yet)")
    return {**found, "fetch_goal": FETCH_GOAL}


@app.get("/api/verdicts", dependencies=[Depends(reads_every_kyc_dag)])
def verdicts(since: date | None = None, until: date | None = None) -> dict[str, Any]:
    """Per order date from ``since`` to ``until`` (default: the last 30 days), the orders verified, rejected
    or incomplete in ``kyc_verifications``, and the reasons named most often."""
    since, until = date_range(since, until)
    board = dashboard()
    found: dict[str, Any] = {"verdicts": VERDICTS, "days": [], "top_reasons": []}
    if board.recorded(VERIFICATIONS):
        found = verdicts_by_order_date(board.warehouse, since, until)
    return {"since": since.isoformat(), "until": until.isoformat(), "dags": kyc_dags(board), **found}


# The pages and their assets: no data, no login (the API they call asks for both).


@app.get("/", response_class=FileResponse)
def index_page() -> FileResponse:
    return FileResponse(PAGES / "index.html", media_type="text/html", headers={"Cache-Control": "no-cache"})


@app.get("/run", response_class=FileResponse)
def run_page() -> FileResponse:
    return FileResponse(PAGES / "run.html", media_type="text/html", headers={"Cache-Control": "no-cache"})


@app.get("/static/{name}", response_class=FileResponse)
def asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise HTTPException(404, "no such asset")
    return FileResponse(STATIC / name, media_type=ASSETS[name], headers={"Cache-Control": "no-cache"})
