"""The declared schema: DDL per dialect, and the README's tables generated from the same declaration."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tencent_kyc.warehouse.schema import RESULTS, TABLES, markdown, schema_statements

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_documents_exactly_the_declared_schema() -> None:
    assert markdown() in README.read_text(encoding="utf-8")


def test_ddl_types_follow_the_dialect() -> None:
    assert RESULTS.ddl("postgres").startswith(
        "CREATE TABLE IF NOT EXISTS kyc_ocr_results (order_no TEXT, order_date DATE"
    )
    assert "order_no VARCHAR(65535), order_date DATE" in RESULTS.ddl("redshift")
    assert RESULTS.ddl("sqlite").endswith("pii_policy TEXT, PRIMARY KEY (order_no))")
    staged = RESULTS.ddl("postgres", "stage_results", temporary=True)
    assert staged.startswith("CREATE TEMPORARY TABLE stage_results (") and staged.endswith("load_seq BIGINT)")
    assert "PRIMARY KEY" not in staged


def test_the_schema_is_created_once_and_again_without_error() -> None:
    connection = sqlite3.connect(":memory:")
    for _ in range(2):
        for statement in schema_statements("sqlite"):
            connection.execute(statement)
    names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    assert names == {table.name for table in TABLES} | {"kyc_ocr_quarantine", "kyc_face_quarantine"}
    columns = [row[1] for row in connection.execute("PRAGMA table_info(kyc_ocr_results)")]
    assert tuple(columns) == RESULTS.names
