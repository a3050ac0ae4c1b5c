"""The stack's PostgreSQL databases, one per role (:data:`~.config.DATABASES`): dropped and created afresh for
each run on the server of ``--postgres``, the order table seeded from the simulator, the warehouse counted,
and the connections through which Airflow reaches them."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import requests

from tencent_kyc_dev.stack.config import DATABASES, StackConfig


def postgres_parts(dsn: str) -> dict[str, Any]:
    from psycopg.conninfo import conninfo_to_dict

    parts = conninfo_to_dict(dsn)
    return {
        "host": str(parts.get("host") or "127.0.0.1"),
        "port": int(parts.get("port") or 5432),
        "user": str(parts.get("user") or ""),
        "password": str(parts.get("password") or ""),
        "dbname": str(parts.get("dbname") or ""),
    }


class Databases:
    """The databases of one stack, on the server and with the role of ``config.postgres``."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self._pg = postgres_parts(config.postgres)

    def connection(self, role: str) -> str:
        """The Airflow connection (JSON form) of the database of ``role``."""
        pg = self._pg
        return json.dumps(
            {
                "conn_type": "postgres",
                "host": pg["host"],
                "port": pg["port"],
                "login": pg["user"],
                "password": pg["password"],
                "schema": self.config.database(role),
            }
        )

    def metadata_url(self) -> str:
        """Airflow's ``sql_alchemy_conn`` for the metadata database."""
        pg = self._pg
        return (
            f"postgresql+psycopg2://{pg['user']}:{pg['password']}@{pg['host']}:{pg['port']}/"
            f"{self.config.database('airflow')}"
        )

    def dsn(self, role: str) -> str:
        from psycopg.conninfo import make_conninfo

        pg = self._pg
        return make_conninfo(
            host=pg["host"],
            port=pg["port"],
            user=pg["user"],
            password=pg["password"],
            dbname=self.config.database(role),
        )

    def create(self) -> None:
        """Every database of the stack, dropped (connections and all) and created empty."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.config.postgres, autocommit=True, connect_timeout=10) as admin:
            for role in DATABASES:
                name = sql.Identifier(self.config.database(role))
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
                admin.execute(sql.SQL("CREATE DATABASE {}").format(name))

    def seed_orders(self, simulator_url: str, day: date) -> list[str]:
        """``kyc_orders`` of ``day`` replaced by the simulator's orders of that day; returns them."""
        import psycopg

        from tencent_kyc_dev.simulator.seed import replace_day, simulator_orders

        with requests.Session() as session:
            orders = simulator_orders(simulator_url, day, session)
        replace_day(lambda: psycopg.connect(self.dsn("orders")), "%s", "kyc_orders", day, orders)
        return orders

    def warehouse_counts(self, day: date) -> dict[str, Any]:
        """``count(*)`` and ``count(DISTINCT order_no)`` of ``day`` in ``kyc_order_status``, or the error."""
        import psycopg

        try:
            with psycopg.connect(self.dsn("warehouse")) as connection:
                row = connection.execute(
                    "SELECT count(*), count(DISTINCT order_no) FROM kyc_order_status WHERE order_date = %s",
                    (day,),
                ).fetchone()
        except psycopg.Error as exc:
            return {"error": f"{type(exc).__name__}: {str(exc).strip().splitlines()[0]}"}
        rows, distinct = row if row else (0, 0)
        return {"rows": int(rows), "distinct_orders": int(distinct)}
