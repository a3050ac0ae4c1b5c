"""Both pages in Chromium against the api-server of tests/ui (SQLite warehouse both DAGs filled): the face sync's
days and run tab, and the verdicts' chart and tables, equal to counts made in the warehouse itself.

Signed in as the Airflow UI signs in, with the ``_token`` cookie. The multi-process stack
(tests/dev/stack/test_ui_browser.py) runs the OCR DAG only; the face DAG and the verdicts are checked here.
Screenshots go to ``var/test-artifacts/ui-api/``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from playwright.sync_api import Browser, Page, expect

from browser_helpers import assert_drawn, chromium, counted
from tencent_kyc.ui import URL_PREFIX
from tencent_kyc.warehouse.syncs import FACE, OCR
from ui.served import DAYS, Served

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("served", ["sqlite"], indirect=True)]
expect.set_options(timeout=30_000)

SHOTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "ui-api"
RANGE = {"since": "2026-11-01", "until": "2026-11-30"}
VERDICTS = ("verified", "rejected", "incomplete")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium() as launched:
        yield launched


def signed_in(browser: Browser, served: Served, user: str | None) -> Page:
    """A page whose browser holds ``user``'s Airflow login cookie (none for ``None``)."""
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    if user:
        context.add_cookies([{"name": "_token", "value": served.server.token(user), "url": served.server.url}])
    return context.new_page()


def verdict_counts(served: Served) -> dict[str, Counter[str]]:
    """Orders per order date and verdict, counted row by row in ``kyc_verifications``."""
    counts: dict[str, Counter[str]] = {}
    for order_date, verdict in served.query("SELECT order_date, verdict FROM kyc_verifications"):
        counts.setdefault(order_date, Counter())[verdict] += 1
    return counts


def test_the_nav_page_shows_the_face_days_and_the_verdicts(browser: Browser, served: Served) -> None:
    page = signed_in(browser, served, "analyst")
    page.goto(f"{served.server.url}{URL_PREFIX}/?{urlencode({'dag_id': FACE.dag_id, **RANGE})}")
    expect(page.get_by_test_id("dashboard")).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("dag-select").locator("option")).to_have_text([FACE.dag_id, OCR.dag_id])
    expect(page.get_by_test_id("sync-label")).to_contain_text(FACE.label)

    for run_date, by_status, rows_loaded in served.query(
        f"SELECT run_date, by_status, rows_loaded FROM kyc_sync_runs WHERE dag_id = '{FACE.dag_id}'"
    ):
        for status in FACE.statuses:
            cell = page.get_by_test_id(f"day-{run_date}-status-{status}")
            expect(cell).to_have_text(counted(json.loads(by_status).get(status, 0)))
        expect(page.get_by_test_id(f"day-{run_date}-rows_loaded")).to_have_text(counted(rows_loaded))

    counts = verdict_counts(served)
    assert sorted(counts) == [day.isoformat() for day in DAYS]
    verdicts = page.get_by_test_id("verdicts")
    expect(verdicts).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("verdicts-table").locator("tbody tr")).to_have_count(len(counts))
    for order_date, by_verdict in counts.items():
        expect(page.get_by_test_id(f"verdict-{order_date}-orders")).to_have_text(counted(sum(by_verdict.values())))
        for verdict in VERDICTS:
            expect(page.get_by_test_id(f"verdict-{order_date}-{verdict}")).to_have_text(counted(by_verdict[verdict]))
    chart = page.get_by_test_id("chart-verdicts")
    for order_date, by_verdict in counts.items():
        said = ", ".join(f"{verdict} {by_verdict[verdict]}" for verdict in VERDICTS)
        expect(chart).to_have_attribute("aria-label", re.compile(re.escape(f"{order_date}: {said}")))
    assert_drawn(chart, min_colored_share=0.05)  # the stacked bars, not only the legend
    expect(page.get_by_test_id("verdict-reason-0-reason")).to_contain_text(re.compile(r"^(ocr|face) "))
    page.screenshot(path=SHOTS / "01-nav-face-and-verdicts.png", full_page=True)
    page.context.close()


def test_the_run_tab_of_a_face_run_shows_its_day_and_verdicts(browser: Browser, served: Served) -> None:
    ((run_id, by_status, by_outcome),) = served.query(
        f"SELECT dag_run_id, by_status, by_outcome FROM kyc_sync_runs "
        f"WHERE dag_id = '{FACE.dag_id}' AND run_date = '{DAYS[1]}'"
    )
    page = signed_in(browser, served, "analyst")
    page.goto(f"{served.server.url}{URL_PREFIX}/run?dag_id={FACE.dag_id}&run_id={quote(run_id, safe='')}")
    expect(page.get_by_test_id("run-day")).to_have_attribute("data-state", "ready")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"KYC day {DAYS[1]}")
    expect(page.get_by_test_id("run-subtitle")).to_contain_text(FACE.label)
    for status in FACE.statuses:
        expect(page.get_by_test_id(f"run-status-{status}-count")).to_have_text(
            counted(json.loads(by_status).get(status, 0))
        )
    outcomes = json.loads(by_outcome)
    assert {"passed", "not_passed", "no_record"} <= set(outcomes)
    for outcome, orders in outcomes.items():
        expect(page.get_by_test_id(f"run-outcome-{outcome}-count")).to_have_text(counted(orders))
    (total,) = served.query(
        f"SELECT COUNT(*) FROM kyc_face_results WHERE run_date = '{DAYS[1]}' AND validation_status = 'rejected'"
    )[0]
    expect(page.get_by_test_id("quarantined-note")).to_contain_text(f"All {total} quarantined orders")
    expect(page.get_by_test_id("run-fetch")).to_contain_text("the pacer aims at 95 %")

    by_verdict = verdict_counts(served)[DAYS[1].isoformat()]
    expect(page.get_by_test_id("verdicts")).to_have_attribute("data-state", "ready")
    for verdict in VERDICTS:
        expect(page.get_by_test_id(f"run-verdict-{verdict}-count")).to_have_text(counted(by_verdict[verdict]))
    assert_drawn(page.get_by_test_id("chart-run-status"), min_colored_share=0.05)
    page.screenshot(path=SHOTS / "02-face-run-tab.png", full_page=True)
    page.context.close()


def test_a_user_of_one_dag_sees_its_days_and_no_verdicts(browser: Browser, served: Served) -> None:
    page = signed_in(browser, served, "ocr_analyst")
    page.goto(f"{served.server.url}{URL_PREFIX}/?{urlencode(RANGE)}")
    expect(page.get_by_test_id("dashboard")).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("dag-select").locator("option")).to_have_text([OCR.dag_id])
    expect(page.get_by_test_id("day-count")).to_have_text(counted(len(DAYS)))
    expect(page.get_by_test_id("verdicts")).to_have_attribute("data-state", "denied")
    expect(page.get_by_test_id("verdicts-problem")).to_have_attribute("data-status", "403")
    expect(page.get_by_test_id("verdicts-table").locator("td")).to_have_count(0)
    expect(page.get_by_test_id("chart-verdicts")).to_be_hidden()
    page.screenshot(path=SHOTS / "03-one-dag-no-verdicts.png", full_page=True)
    page.context.close()


@pytest.mark.parametrize("path", ["/", f"/run?dag_id={FACE.dag_id}&run_id=any"])
def test_a_signed_out_visitor_gets_the_page_and_a_way_to_sign_in(browser: Browser, served: Served, path: str) -> None:
    """The page loads without a login; its API call gets the 401, and the page offers Airflow's sign-in."""
    page = signed_in(browser, served, None)
    page.goto(f"{served.server.url}{URL_PREFIX}{path}")
    expect(page.get_by_test_id("problem")).to_have_attribute("data-status", "401")
    expect(page.get_by_test_id("sign-in")).to_have_attribute("href", re.compile(r"/api/v2/auth/login\?next="))
    expect(page.get_by_test_id("verdicts")).not_to_have_attribute("data-state", "ready")
    page.context.close()
