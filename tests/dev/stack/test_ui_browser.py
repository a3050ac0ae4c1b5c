"""The Airflow 3 UI of the shared stack (tests/dev/stack/conftest.py), in a real browser: what a user looks for.

Debian's chromium (tests/services/install_chromium.sh), driven by Playwright without its own browser
download. The UI is a React app: every step waits for an element by role, label, test id or text, never for
a fixed time. Screenshots go to ``var/test-artifacts/ui/``.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, FrameLocator, Page, expect

from browser_helpers import NONE, assert_drawn, chromium, counted
from tencent_kyc.provider_info import get_provider_info
from tencent_kyc.ui.plugin import KycDashboardPlugin
from tencent_kyc.warehouse.sql import OPEN
from tencent_kyc.warehouse.syncs import OCR
from tencent_kyc_dev.stack.config import DAG_ID, FETCH_TASK, USERNAME
from tencent_kyc_dev.stack.report import RunReport
from tencent_kyc_dev.stack.runner import Stack

expect.set_options(timeout=30_000)


@pytest.fixture(scope="module")
def screenshots(artifacts: Path) -> Path:
    folder = artifacts / "ui"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    print(f"UI screenshots: {folder}", file=sys.stderr)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def fill_login_form(page: Page, password: str) -> None:
    """Sign in on the simple auth manager's form (the page must be on its way there)."""
    expect(page.get_by_text("Sign into Airflow")).to_be_visible()
    page.get_by_label("Username").fill(USERNAME)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def log_in(page: Page, stack: Stack, password: str) -> None:
    """Open the UI, which sends an anonymous visitor to the simple auth manager's form, and sign in."""
    page.goto(f"{stack.api_url}/")
    fill_login_form(page, password)


def sign_in(page: Page, stack: Stack) -> None:
    """Log in with the stack's password and wait for the UI's home page: a navigation sent while the login's own
    redirect is still loading aborts one of the two (``net::ERR_ABORTED``)."""
    log_in(page, stack, stack.password)
    expect(page.get_by_test_id("nav-dags-link")).to_be_visible()


@pytest.fixture(scope="module")
def page(browser: Browser, stack_run: tuple[Stack, RunReport], screenshots: Path) -> Iterator[Page]:
    """A page signed in through the login form (the run has finished: ``stack_run`` waited for it)."""
    stack, _ = stack_run
    context = browser.new_context(
        viewport={"width": 1500, "height": 1000}, permissions=["clipboard-read", "clipboard-write"]
    )
    opened = context.new_page()
    sign_in(opened, stack)
    opened.screenshot(path=screenshots / "01-home-after-login.png")
    yield opened
    context.close()


def test_the_login_form_refuses_a_wrong_password(
    browser: Browser, stack_run: tuple[Stack, RunReport], screenshots: Path
) -> None:
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    try:
        page = context.new_page()
        log_in(page, stack_run[0], "not-the-password")
        expect(page.get_by_text("Invalid credentials")).to_be_visible()
        expect(page.get_by_test_id("nav-dags-link")).to_have_count(0)
        page.screenshot(path=screenshots / "00-login-refused.png")
    finally:
        context.close()


def test_the_grid_shows_the_run_succeeded(page: Page, stack_run: tuple[Stack, RunReport], screenshots: Path) -> None:
    stack, report = stack_run
    page.goto(f"{stack.api_url}/dags/{DAG_ID}")
    expect(page.get_by_test_id("grid-view-button")).to_be_visible()
    for task in ("list_orders", "plan_shards", FETCH_TASK, "validate_shard", "quality_gate"):
        expect(page.get_by_test_id(f"grid-{report.dag_run_id}-{task}")).to_be_visible()
    page.screenshot(path=screenshots / "02-dag-grid.png", full_page=True)

    # the run's own page (not the header's "latest run": the review tests add runs of their own to this DAG)
    page.goto(f"{stack.api_url}/dags/{DAG_ID}/runs/{quote(report.dag_run_id, safe='')}")
    expect(page.get_by_test_id("state-badge").first).to_have_text("Success")
    page.screenshot(path=screenshots / "03-dag-run.png", full_page=True)


def test_the_mapped_fetch_task_shows_the_shard_labels(
    page: Page, stack_run: tuple[Stack, RunReport], screenshots: Path
) -> None:
    stack, report = stack_run
    page.goto(f"{stack.api_url}/dags/{DAG_ID}")
    page.get_by_test_id(f"grid-{report.dag_run_id}-{FETCH_TASK}").click()  # the grid cell of the mapped task
    expect(page).to_have_url(re.compile(f"/tasks/{FETCH_TASK}/mapped$"))
    expect(page.get_by_text("Total Success")).to_be_visible()
    for index in range(4):
        row = page.get_by_role("row").filter(has_text=f"shard-{index:05d} (1250 orders)")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Success")
    page.screenshot(path=screenshots / "04-fetch-shards.png", full_page=True)


def _summary_of_shard(stack: Stack, run_id: str, map_index: int) -> dict[str, Any]:
    """The fetch task's return value, as the REST API gives it (what the UI must show)."""
    entry = stack.airflow.api(
        "GET",
        f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{FETCH_TASK}/xcomEntries/return_value",
        params={"map_index": map_index, "deserialize": True},
    )
    value = entry["value"]
    return dict(json.loads(value) if isinstance(value, str) else value)


def test_a_shard_summary_is_readable_in_the_xcom_tab(
    page: Page, stack_run: tuple[Stack, RunReport], screenshots: Path
) -> None:
    stack, report = stack_run
    summary = _summary_of_shard(stack, report.dag_run_id, 0)
    assert summary["orders"] == 1250 and sum(summary["outcomes"].values()) == 1250
    page.goto(f"{stack.api_url}/dags/{DAG_ID}")
    page.get_by_test_id(f"grid-{report.dag_run_id}-{FETCH_TASK}").click()
    page.get_by_role("link", name="shard-00000 (1250 orders)").click()
    expect(page.get_by_text(f"{FETCH_TASK} [shard-00000 (1250 orders)]")).to_be_visible()
    page.get_by_role("link", name="Storage").click()
    page.get_by_role("link", name="XCom", exact=True).click()
    expect(page.get_by_role("cell", name="return_value")).to_be_visible()
    page.get_by_role("button", name="Expand all extra JSON").click()
    value = page.get_by_test_id("xcom-value")
    expect(value).to_contain_text(re.compile(r'"orders":\s*1250'))
    page.screenshot(path=screenshots / "05-shard-xcom-summary.png", full_page=True)
    # The value is shown in a code editor that renders the lines in view only (the summary is longer than that):
    # the whole value is what its copy button puts on the clipboard.
    page.evaluate("navigator.clipboard.writeText('')")
    value.get_by_role("button", name="Copy to clipboard").click()
    page.wait_for_function("async () => (await navigator.clipboard.readText()).includes('photos_stored')")
    shown = json.loads(page.evaluate("navigator.clipboard.readText()"))
    assert shown["orders"] == 1250
    assert shown["outcomes"] == summary["outcomes"]
    assert shown["photos_stored"] == summary["photos_stored"]


def test_the_connection_form_of_tencent_kyc_has_its_own_fields(
    page: Page, stack_run: tuple[Stack, RunReport], screenshots: Path
) -> None:
    stack, _ = stack_run
    (connection_type,) = get_provider_info()["connection-types"]
    page.goto(f"{stack.api_url}/connections")
    page.get_by_role("button", name="Add Connection").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("combobox").first.click()
    page.keyboard.type("Tencent")
    page.get_by_role("option", name=connection_type["hook-name"]).click()
    for label in connection_type["ui-field-behaviour"]["relabeling"].values():  # Base URL, WBappid, Secret
        expect(dialog.get_by_text(label, exact=True)).to_be_visible()
    for hidden in ("Schema", "Port"):
        expect(dialog.get_by_text(hidden, exact=True)).to_have_count(0)
    expect(dialog.get_by_placeholder(connection_type["ui-field-behaviour"]["placeholders"]["host"])).to_be_visible()
    page.screenshot(path=screenshots / "06-connection-standard-fields.png", full_page=True)

    dialog.get_by_role("button", name="Extra Fields", exact=True).click()
    for field in connection_type["conn-fields"].values():
        expect(dialog.get_by_text(field["label"], exact=True)).to_be_visible()
    page.screenshot(path=screenshots / "07-connection-extra-fields.png", full_page=True)


# -- The KYC dashboard (tencent_kyc.ui): its nav page and its run tab, framed by the Airflow UI ----------------

NAV_VIEW, RUN_VIEW = (view["name"] for view in KycDashboardPlugin.external_views)
NAV_CHARTS = ("status", "reasons", "open", "fetch", "durations", "gate")


def recorded_day(stack: Stack) -> dict[str, Any]:
    """The stack day's row of ``kyc_sync_runs`` and the open orders of ``kyc_order_status``, read in the warehouse
    database itself (not through the dashboard's API)."""
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(stack.databases.dsn("warehouse"), row_factory=dict_row) as connection:
        row = connection.execute(
            "SELECT * FROM kyc_sync_runs WHERE dag_id = %s AND run_date = %s", (DAG_ID, stack.config.day)
        ).fetchone()
        days = connection.execute("SELECT COUNT(*) AS days FROM kyc_sync_runs WHERE dag_id = %s", (DAG_ID,))
        days_recorded = days.fetchone()["days"]
        open_orders = connection.execute(
            f"SELECT order_date, COUNT(*) AS orders FROM kyc_order_status WHERE {OPEN} GROUP BY order_date"
        ).fetchall()
    assert row is not None, f"kyc_sync_runs holds no row of {DAG_ID} for {stack.config.day}"
    return {
        **row,
        "by_status": json.loads(row["by_status"] or "{}"),
        "open_orders": open_orders,
        "days_recorded": days_recorded,
    }


def expected_day_cells(row: dict[str, Any]) -> dict[str, str]:
    """The days table's cells of the stack's day, from the warehouse's row."""
    by_status = row["by_status"]
    cells = {
        "run_date": row["run_date"].isoformat(),
        "orders": counted(row["orders"]),
        "rows_loaded": counted(row["rows_loaded"]),
        "gate": row["gate"].split(":")[0],
        "fetch_rate": NONE if row["fetch_rate"] is None else f"{row['fetch_rate']:.1f}",
        "throttled": counted(row["fetch_throttled"]),
    }
    for status in OCR.statuses:  # a day that was not loaded has no status at all
        cells[f"status-{status}"] = counted(by_status.get(status, 0)) if by_status else NONE
    return cells


def open_dashboard(page: Page, stack: Stack) -> FrameLocator:
    """The nav page, reached through the Airflow UI's own nav entry; returns its frame once it has loaded."""
    page.goto(f"{stack.api_url}/")
    page.get_by_role("link", name=NAV_VIEW).click()
    expect(page).to_have_url(re.compile(r"/plugin/tencent-kyc/"))
    frame = page.frame_locator(f'iframe[title="{NAV_VIEW}"]')
    expect(frame.get_by_test_id("dashboard")).to_have_attribute("data-state", "ready")
    return frame


def test_the_dashboard_shows_the_days_the_warehouse_recorded(
    page: Page, stack_run: tuple[Stack, RunReport], screenshots: Path
) -> None:
    stack, report = stack_run
    row = recorded_day(stack)
    assert row["orders"] == report.orders_seeded and row["dag_run_id"] == report.dag_run_id  # the run we made
    frame = open_dashboard(page, stack)
    expect(frame.get_by_test_id("dag-select")).to_have_value(DAG_ID)
    day = stack.config.day.isoformat()

    days = row["days_recorded"]  # the stack's day, and those of the review tests if they ran first
    expect(frame.get_by_test_id("days-table").locator("tbody tr")).to_have_count(days)
    for key, text in expected_day_cells(row).items():
        expect(frame.get_by_test_id(f"day-{day}-{key}")).to_have_text(text)
    expect(frame.get_by_test_id("day-count")).to_have_text(str(days))

    # the open orders, by the day the run of which expires them (order date + retention)
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    retention = timedelta(days=row["retention_days"])
    at_risk = sum(o["orders"] for o in row["open_orders"] if o["order_date"] + retention == tomorrow)
    expect(frame.get_by_test_id("at-risk-tomorrow")).to_have_text(counted(at_risk))
    expect(frame.get_by_test_id("open-total")).to_have_text(counted(sum(o["orders"] for o in row["open_orders"])))

    # the charts are drawn, and the status chart from the same numbers
    by_status = ", ".join(f"{status} {row['by_status'].get(status, 0)}" for status in OCR.statuses)
    status_chart = frame.get_by_test_id("chart-status")
    expect(status_chart).to_have_attribute("aria-label", re.compile(re.escape(f"{day}: {by_status}")))
    assert_drawn(status_chart, min_colored_share=0.05)  # the day's stacked bar, not just the legend
    for name in NAV_CHARTS[1:]:
        assert_drawn(frame.get_by_test_id(f"chart-{name}"))

    gate = frame.get_by_test_id(f"gate-{day}-verdict")
    expect(gate).to_have_text(row["gate"].split(":")[0])
    page.screenshot(path=screenshots / "08-kyc-dashboard.png")
    frame.get_by_test_id("days-table").scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "09-kyc-dashboard-days-table.png")


def test_the_run_tab_shows_the_days_counts_by_status(
    page: Page, stack_run: tuple[Stack, RunReport], screenshots: Path
) -> None:
    stack, report = stack_run
    row = recorded_day(stack)
    page.goto(f"{stack.api_url}/dags/{DAG_ID}/runs/{quote(report.dag_run_id, safe='')}")
    page.get_by_role("link", name=RUN_VIEW, exact=True).click()  # the tab beside Task Instances and Details
    expect(page).to_have_url(re.compile(r"/plugin/tencent-kyc-day$"))
    frame = page.frame_locator(f'iframe[title="{RUN_VIEW}"]')
    expect(frame.get_by_test_id("run-day")).to_have_attribute("data-state", "ready")

    expect(frame.get_by_role("heading", level=1)).to_have_text(f"KYC day {stack.config.day.isoformat()}")
    for status in OCR.statuses:
        cell = frame.get_by_test_id(f"run-status-{status}-count")
        expect(cell).to_have_text(counted(row["by_status"].get(status, 0)))
    expect(frame.get_by_test_id("run-orders")).to_have_text(counted(row["orders"]))
    expect(frame.get_by_test_id("run-rows_loaded")).to_have_text(counted(row["rows_loaded"]))
    expect(frame.get_by_test_id("run-gate-verdict")).to_have_text(row["gate"].split(":")[0])
    expect(frame.get_by_test_id("where-quarantine")).to_have_text(f"{row['staging_path']}/quarantine/")
    expect(frame.get_by_test_id("where-refused_values")).to_have_text(f"{row['staging_path']}/rejected_orders.jsonl")
    assert_drawn(frame.get_by_test_id("chart-run-status"), min_colored_share=0.05)
    assert_drawn(frame.get_by_test_id("chart-run-reasons"))
    page.screenshot(path=screenshots / "10-kyc-day-tab.png")


def test_the_run_tab_says_when_a_run_recorded_no_day(
    page: Page, stack_run: tuple[Stack, RunReport], screenshots: Path
) -> None:
    stack, _ = stack_run
    page.goto(f"{stack.api_url}/tencent-kyc/run?dag_id={DAG_ID}&run_id=not-a-run")
    expect(page.get_by_test_id("run-day")).to_have_attribute("data-state", "error")
    problem = page.get_by_test_id("problem")
    expect(problem).to_have_attribute("data-status", "404")
    expect(problem).to_contain_text("This run recorded no KYC day")
    page.screenshot(path=screenshots / "11-kyc-day-not-recorded.png")


def test_a_lapsed_session_offers_to_sign_in_and_comes_back(
    browser: Browser, stack_run: tuple[Stack, RunReport], screenshots: Path
) -> None:
    """The dashboard's own API calls get the 401 (the UI does not handle them): its link signs in through the
    top window and the user lands on the dashboard again."""
    stack, _ = stack_run
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    try:
        page = context.new_page()
        sign_in(page, stack)
        frame = open_dashboard(page, stack)
        dashboard_url = page.url
        context.clear_cookies()  # the session lapses while the page is open
        frame.get_by_test_id("reload").click()
        expect(frame.get_by_test_id("problem")).to_have_attribute("data-status", "401")
        page.screenshot(path=screenshots / "12-kyc-dashboard-signed-out.png")
        frame.get_by_test_id("sign-in").click()
        fill_login_form(page, stack.password)
        expect(page).to_have_url(dashboard_url)
        expect(page.frame_locator(f'iframe[title="{NAV_VIEW}"]').get_by_test_id("dashboard")).to_have_attribute(
            "data-state", "ready"
        )
    finally:
        context.close()
