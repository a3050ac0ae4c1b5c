"""Order sources: SQL on an Airflow SQL connection, files in object storage, explicit lists."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tencent_kyc.orders.sources import OrderSourceError, order_source


def test_explicit_list() -> None:
    assert list(order_source({"kind": "list", "orders": ["A1", "A2"]}).iter_values()) == ["A1", "A2"]


def test_sql_on_an_airflow_connection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database = tmp_path / "orders.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE kyc_orders (order_no TEXT, order_date TEXT)")
        connection.executemany("INSERT INTO kyc_orders VALUES (?, ?)", [("A1", "2026-11-27"), ("B1", "2026-11-26")])
    monkeypatch.setenv("AIRFLOW_CONN_ORDERS_DB", json.dumps({"conn_type": "sqlite", "host": str(database)}))
    source = order_source(
        {
            "kind": "sql",
            "conn_id": "orders_db",
            "sql": "SELECT order_no FROM kyc_orders WHERE order_date = '2026-11-27'",
        }
    )
    assert list(source.iter_values()) == ["A1"]
    assert "orders_db" in source.describe()


@pytest.mark.parametrize(
    ("name", "content", "fmt", "column"),
    [
        ("orders.txt", "A1\n\nA2\n", "lines", None),
        ("orders.csv", "\ufefforder_no,other\nA1,x\nA2,y\n", "csv", "order_no"),
        ("orders.jsonl", '{"order_no": "A1"}\n{"order_no": "A2"}\n', "jsonl", "order_no"),
    ],
)
def test_files(tmp_path: Path, name: str, content: str, fmt: str, column: str | None) -> None:
    (tmp_path / name).write_text(content, encoding="utf-8")
    spec: dict[str, Any] = {"kind": "file", "path": f"file://{tmp_path / name}", "format": fmt, "column": column}
    assert list(order_source(spec).iter_values()) == ["A1", "A2"]


def test_unreadable_jsonl_lines_become_reasons_not_crashes(tmp_path: Path) -> None:
    (tmp_path / "o.jsonl").write_text('{"order_no": "A1"}\nnot json\n', encoding="utf-8")
    spec = {"kind": "file", "path": f"file://{tmp_path / 'o.jsonl'}", "format": "jsonl", "column": "order_no"}
    values = list(order_source(spec).iter_values())
    assert values[0] == "A1" and "line 2" in values[1].reason


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"kind": "ftp"}, "unknown order source kind 'ftp'; known: file, list, sql"),
        ({"kind": "sql", "sql": "select 1"}, "conn_id"),
        ({"kind": "file", "path": "x", "format": "xml"}, "format"),
        ({"kind": "file", "path": "x", "format": "csv"}, "column"),
        ({"kind": "list", "orders": [], "bogus": 1}, "unknown key"),
        ("not a dict", "must be an object"),
    ],
)
def test_bad_descriptions_are_refused_before_anything_is_read(spec: Any, message: str) -> None:
    with pytest.raises(OrderSourceError, match=message):
        order_source(spec)


def test_csv_without_the_column_names_the_columns(tmp_path: Path) -> None:
    (tmp_path / "o.csv").write_text("id\nA1\n", encoding="utf-8")
    spec = {"kind": "file", "path": f"file://{tmp_path / 'o.csv'}", "format": "csv", "column": "order_no"}
    with pytest.raises(OrderSourceError, match="no column 'order_no'"):
        list(order_source(spec).iter_values())
