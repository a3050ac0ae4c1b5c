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
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tencent_kyc.provider_info import get_provider_info
from tencent_kyc_dev.stack.config import DAG_ID, FETCH_TASK, USERNAME
from tencent_kyc_dev.stack.report import RunReport
from tencent_kyc_dev.stack.runner import Stack

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
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
    assert Path(CHROMIUM).exists(), "chromium is missing: run tests/services/install_chromium.sh"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def log_in(page: Page, stack: Stack, password: str) -> None:
    """Open the UI, which sends an anonymous visitor to the simple auth manager's form, and sign in."""
    page.goto(f"{stack.api_url}/")
    expect(page.get_by_text("Sign into Airflow")).to_be_visible()
    page.get_by_label("Username").fill(USERNAME)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture(scope="module")
def page(browser: Browser, stack_run: tuple[Stack, RunReport], screenshots: Path) -> Iterator[Page]:
    """A page signed in through the login form (the run has finished: ``stack_run`` waited for it)."""
    stack, _ = stack_run
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    opened = context.new_page()
    log_in(opened, stack, stack.password)
    expect(opened.get_by_test_id("nav-dags-link")).to_be_visible()
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
    expect(page.get_by_test_id("header-card").get_by_test_id("state-badge")).to_have_attribute("aria-label", "success")
    page.screenshot(path=screenshots / "02-dag-grid.png", full_page=True)

    page.get_by_test_id("header-card").locator(f'a[href$="/runs/{report.dag_run_id}"]').click()  # Latest Run
    expect(page.get_by_test_id("state-badge").first).to_have_attribute("aria-label", "success")
    expect(page.get_by_text("Success").first).to_be_visible()
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
    for outcome, count in summary["outcomes"].items():
        expect(value).to_contain_text(re.compile(rf'"{outcome}":\s*{count}\b'))
    expect(value).to_contain_text(re.compile(rf'"photos_stored":\s*{summary["photos_stored"]}\b'))
    page.screenshot(path=screenshots / "05-shard-xcom-summary.png", full_page=True)


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
