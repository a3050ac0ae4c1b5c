"""Who gets what from the dashboard on a real api-server: every ``/api/*`` route needs a signed-in user and read
access to the DAG(s) its data come from; the pages and their assets, which hold no data, need nothing.

The users and their teams are in :mod:`ui.served`; the 403s come from Airflow's own auth manager."""

from __future__ import annotations

import re

import pytest
import requests
from fastapi.routing import APIRoute

from tencent_kyc.ui import URL_PREFIX
from tencent_kyc.ui.app import ASSETS, PAGES, STATIC, app
from tencent_kyc.warehouse.syncs import FACE, OCR
from ui.served import DAYS, Served

pytestmark = pytest.mark.slow  # the api-server of tests/ui/conftest.py

#: The routes anyone may fetch, and the file each serves.
PUBLIC = {
    "/": PAGES / "index.html",
    "/run": PAGES / "run.html",
    **{f"/static/{name}": STATIC / name for name in ASSETS},
}
#: Each route of one DAG, with that DAG's id.
DAG_ROUTES = [
    (f"{URL_PREFIX}/api/days", {}),
    (f"{URL_PREFIX}/api/days/{DAYS[1]}", {}),
    (f"{URL_PREFIX}/api/runs/any-run", {}),
]


def api_paths() -> list[str]:
    """Every ``/api/*`` route the app declares, path parameters filled in: a route added later is covered too."""
    paths = [route.path for route in app.routes if isinstance(route, APIRoute) and route.path.startswith("/api/")]
    assert {"/api/dags", "/api/days", "/api/verdicts"} <= set(paths)
    return [URL_PREFIX + re.sub(r"\{[^}]+\}", "2026-11-27", path) for path in paths]


def test_every_route_is_an_api_route_or_a_public_file() -> None:
    """Nothing outside ``/api/`` serves data: a new route is either under it (and protected) or a static file."""
    declared = {route.path for route in app.routes if isinstance(route, APIRoute)}
    assert {path for path in declared if not path.startswith("/api/")} == {"/", "/run", "/static/{name}"}


@pytest.mark.parametrize("path", api_paths())
def test_every_api_route_needs_a_signed_in_user(served: Served, path: str) -> None:
    answer = served.server.get(path, None, dag_id=OCR.dag_id)
    assert answer.status_code == 401 and answer.json() == {"detail": "Not authenticated"}


@pytest.mark.parametrize("path", PUBLIC)
def test_the_pages_and_their_assets_are_served_without_a_login(served: Served, path: str) -> None:
    """A signed-out user gets the page (which then offers to sign in), never a bare 401 in the frame."""
    answer = requests.get(f"{served.server.url}{URL_PREFIX}{path}", params={"dag_id": FACE.dag_id}, timeout=30)
    assert answer.status_code == 200 and answer.content == PUBLIC[path].read_bytes()
    expected = "text/html" if path in ("/", "/run") else ASSETS[path.rsplit("/", 1)[1]]
    assert answer.headers["content-type"].startswith(expected)


def test_nothing_else_is_served_as_an_asset(served: Served) -> None:
    for name in ("../app.py", "..%2Fapp.py", "dashboard.js.map", "index.html"):
        assert requests.get(f"{served.server.url}{URL_PREFIX}/static/{name}", timeout=30).status_code == 404, name


@pytest.mark.parametrize(("path", "params"), DAG_ROUTES)
@pytest.mark.parametrize(("user", "dag_id"), [("outsider", OCR.dag_id), ("outsider", FACE.dag_id),
                                              ("ocr_analyst", FACE.dag_id)])  # fmt: skip
def test_the_dag_routes_need_read_access_to_that_dag(
    served: Served, path: str, params: dict[str, str], user: str, dag_id: str
) -> None:
    answer = served.server.get(path, user, dag_id=dag_id, **params)
    assert answer.status_code == 403 and answer.json() == {"detail": "Forbidden"}


def test_a_user_of_one_dag_reads_that_dag(served: Served) -> None:
    """The same user the face DAG refuses reads the OCR DAG: the 403s above are per DAG, not per user."""
    server = served.server
    assert server.get(f"{URL_PREFIX}/api/days", "ocr_analyst", dag_id=OCR.dag_id).status_code == 200
    assert server.get(f"{URL_PREFIX}/api/days/{DAYS[1]}", "ocr_analyst", dag_id=OCR.dag_id).status_code == 200


@pytest.mark.parametrize("user", ["ocr_analyst", "outsider"])
def test_the_verdicts_need_read_access_to_every_kyc_dag(served: Served, user: str) -> None:
    """A verdict shows both sides of an order: reading one DAG is not enough."""
    answer = served.server.get(f"{URL_PREFIX}/api/verdicts", user, since="2026-11-01", until="2026-11-30")
    assert answer.status_code == 403 and answer.json() == {"detail": "Forbidden"}


@pytest.mark.parametrize("user", ["analyst", "admin"])
def test_a_user_of_both_dags_reads_the_verdicts(served: Served, user: str) -> None:
    answer = served.server.get(f"{URL_PREFIX}/api/verdicts", user, since="2026-11-01", until="2026-11-30")
    assert answer.status_code == 200 and answer.json()["dags"] == [FACE.dag_id, OCR.dag_id]


def test_nothing_is_writable(served: Served) -> None:
    server = served.server
    token = server.token("admin")
    for path in (f"{URL_PREFIX}/api/days", f"{URL_PREFIX}/api/verdicts", f"{URL_PREFIX}/"):
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            answer = requests.request(
                method, f"{server.url}{path}", params={"dag_id": OCR.dag_id}, timeout=30,
                headers={"Authorization": f"Bearer {token}"},
            )  # fmt: skip
            assert answer.status_code == 405, (method, path)
