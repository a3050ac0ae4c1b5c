"""Fill the order table from the simulator's order book: ``python -m tencent_kyc_dev.simulator.seed --help``.

docker-compose.yaml runs it once at start-up, so that the DAG's default order source (``SELECT order_no FROM
kyc_orders WHERE order_date = '<date>'`` on the ``tencent_kyc_orders`` connection) finds the simulator's orders.
For every date of a window around today it asks the simulator for that date's orders
(``GET /admin/orders?date=YYYY-MM-DD``) and replaces the date's rows (delete + insert, one transaction per
date), so running it again never duplicates anything.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import requests

from tencent_kyc.dbapi import transaction

DEFAULT_CONN_ID = "tencent_kyc_orders"
DEFAULT_TABLE = "kyc_orders"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?")


def seed_window(today: date, past_days: int, future_days: int) -> list[date]:
    """``today - past_days`` to ``today + future_days``, both included."""
    return [today + timedelta(days=offset) for offset in range(-past_days, future_days + 1)]


def simulator_orders(simulator_url: str, day: date, session: requests.Session) -> list[str]:
    """The order numbers the simulator holds for ``day``."""
    response = session.get(f"{simulator_url.rstrip('/')}/admin/orders", params={"date": day.isoformat()}, timeout=60)
    response.raise_for_status()
    orders = response.json()["orders"]
    if not isinstance(orders, list) or not all(isinstance(order, str) for order in orders):
        raise ValueError(f"the simulator's /admin/orders answer for {day} is not a list of order numbers")
    return orders


def replace_day(connect: Callable[[], Any], placeholder: str, table: str, day: date, orders: Sequence[str]) -> None:
    """Replace ``day``'s rows of ``table`` by ``orders`` in one transaction (the table is created if missing)."""
    if not _IDENTIFIER.fullmatch(table):
        raise ValueError(f"table must be a plain SQL identifier (optionally schema-qualified), got {table!r}")
    with transaction(connect()) as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {table} (order_no TEXT NOT NULL, order_date DATE NOT NULL)")
        cursor.execute(f"DELETE FROM {table} WHERE order_date = {placeholder}", (day.isoformat(),))
        cursor.executemany(
            f"INSERT INTO {table} (order_no, order_date) VALUES ({placeholder}, {placeholder})",
            [(order, day.isoformat()) for order in orders],
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tencent_kyc_dev.simulator.seed", description=(__doc__ or "").split("\n\n")[1].replace("\n", " ")
    )
    parser.add_argument(
        "--simulator-url", required=True, help="the simulator's base URL, e.g. http://kyc-simulator:8080"
    )
    parser.add_argument(
        "--conn-id", default=DEFAULT_CONN_ID, help="Airflow SQL connection of the order database (default: %(default)s)"
    )
    parser.add_argument(
        "--table",
        default=DEFAULT_TABLE,
        help="the order table, (order_no TEXT, order_date DATE) (default: %(default)s)",
    )
    parser.add_argument("--today", type=date.fromisoformat, help="YYYY-MM-DD, the window's centre (default: UTC today)")
    parser.add_argument("--past-days", type=int, default=3, help="days before today to seed (default: %(default)s)")
    parser.add_argument("--future-days", type=int, default=30, help="days after today to seed (default: %(default)s)")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.past_days < 0 or args.future_days < 0:
        raise SystemExit("error: --past-days and --future-days must not be negative")
    from airflow.sdk import BaseHook

    hook = BaseHook.get_hook(args.conn_id)
    days = seed_window(args.today or datetime.now(UTC).date(), args.past_days, args.future_days)
    with requests.Session() as session:
        total = 0
        for day in days:
            orders = simulator_orders(args.simulator_url, day, session)
            replace_day(hook.get_conn, hook.placeholder, args.table, day, orders)
            total += len(orders)
    print(f"Seeded {total} orders for {days[0]} .. {days[-1]} into {args.table} on connection {args.conn_id!r}")


if __name__ == "__main__":
    main()
