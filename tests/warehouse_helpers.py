"""Helpers of the warehouse tests: table dumps and staged records of each kind."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import psycopg

from tencent_kyc.api import errors
from tencent_kyc.records import Judged
from tencent_kyc.warehouse.base import Warehouse
from tencent_kyc.warehouse.schema import TABLES


def dump(warehouse: Warehouse) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted, dates as ISO text (SQLite stores text, PostgreSQL dates)."""
    tables = {}
    with warehouse.transaction() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT {', '.join(table.names)} FROM {table.name}")
            rows = [tuple(v.isoformat() if isinstance(v, date) else v for v in row) for row in cursor.fetchall()]
            tables[table.name] = sorted(rows, key=repr)
    return tables


def query(warehouse: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    with warehouse.transaction() as cursor:
        cursor.execute(sql)
        return [tuple(v.isoformat() if isinstance(v, date) else v for v in row) for row in cursor.fetchall()]


def judged(order_no: str, status: str = "accepted", **result: str) -> dict[str, Any]:
    """A record as validate_shard stages it, for a card of the seed document's shape."""
    fields = {
        "frontCode": "0",
        "backCode": "0",
        "name": "张三丰",
        "sex": "男",
        "nation": "汉",
        "birth": "19881001",
        "address": "广东省深圳市南山区科技园路1号",
        "idcard": "11010519881001003X",
        "validDate": "20190128-20390128",
        "authority": "深圳市公安局南山分局",
        "frontMultiWarning": "00000000",
        "backMultiWarning": "10000000",
        "frontClarity": "64",
        "backClarity": "72",
        **result,
    }
    return {
        "order_no": order_no,
        "outcome": "fetched",
        "code": "0",
        "message": "success",
        "result": fields,
        "photos": {"frontPhoto": f"file:///evidence/{order_no}/frontPhoto.jpg"},
        "photo_fallbacks": [],
        "missing_photos": [],
        "status": status,
        "reasons": [] if status == "accepted" else ["warning.back.border"],
        "warning_flags": {"front": [], "back": ["border"]},
    }


def unanswered(order_no: str, outcome: str = "no_result", error: str = "") -> dict[str, Any]:
    """A record without a result: no_result (66660020) or failed with ``error`` (an error class's name, whose
    ``retryable`` the record carries)."""
    code = "66660020" if outcome == "no_result" else "999999"
    record = {"order_no": order_no, "outcome": outcome, "code": code, "message": "x", "result": {}}
    if error:
        record |= {"error": error, "retryable": getattr(errors, error).retryable}
    return record


def typed(record: dict[str, Any], order_date: date) -> Judged:
    """A record of the helpers above as the typed record validate_shard hands to the warehouse rows."""
    return Judged.from_json({**record, "order_date": order_date.isoformat()})


def postgres_connection(dsn: str, schema: str) -> str:
    """The Airflow connection (JSON) of the test PostgreSQL with ``schema`` first on the search path."""
    parsed = psycopg.conninfo.conninfo_to_dict(dsn)
    return json.dumps(
        {
            "conn_type": "postgres",
            "host": parsed["host"],
            "port": int(parsed.get("port") or 5432),
            "login": parsed["user"],
            "password": parsed["password"],
            "schema": parsed["dbname"],
            "extra": {"options": f"-c search_path={schema}"},
        }
    )
