"""One real multi-process Airflow stack per test session (``tencent_kyc_dev.stack``), shared by the run checks
and the browser tests: it is started on first use, runs the day once, and stays up (api-server included)
until the session ends. Its logs, AIRFLOW_HOME and report stay in ``var/test-artifacts/stack``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tencent_kyc_dev.stack.config import StackConfig
from tencent_kyc_dev.stack.report import RunReport
from tencent_kyc_dev.stack.runner import Stack

REPO = Path(__file__).resolve().parents[3]
ARTIFACTS = REPO / "var" / "test-artifacts"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where the stack tests keep logs, reports and screenshots (``var/test-artifacts``, ignored by git)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def stack_run(postgres_dsn: str) -> Iterator[tuple[Stack, RunReport]]:
    """The deployment check's scenario: 5,000 orders in 4 shards of 1,250, 100 QPS, a 15 s refresh window."""
    prefix = os.environ.get("KYC_STACK_DB_PREFIX", "kyc_stack_test")  # two checkouts testing at once differ
    config = StackConfig(var=ARTIFACTS / "stack", postgres=postgres_dsn, db_prefix=prefix, timeout=420)
    with Stack(config, echo=sys.stderr) as stack:
        report = stack.run()
        (stack.var / "report.json").write_text(report.to_json())
        print(report.describe(), file=sys.stderr)
        yield stack, report


@pytest.fixture(scope="session")
def report(stack_run: tuple[Stack, RunReport]) -> RunReport:
    return stack_run[1]
