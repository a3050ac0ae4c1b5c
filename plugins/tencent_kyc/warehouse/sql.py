"""The SQL every dialect shares: the merge of a sync's staged batch, expiry and the carry-over of late orders.

Written in the subset SQLite, PostgreSQL and Redshift agree on (``IN (subquery)``, window functions, no
``ON CONFLICT``/``MERGE``), so the merge tested on PostgreSQL and SQLite is the one Redshift runs. Dates are
inlined as ISO literals produced from :class:`datetime.date` (never from user text): one statement text for
every driver's parameter style.
"""

from __future__ import annotations

from datetime import date, timedelta

from tencent_kyc.warehouse.schema import STAGED
from tencent_kyc.warehouse.syncs import Sync
from tencent_kyc.warehouse.verdicts import refresh_verdicts

#: Orders a later run queries again: no result yet, or a failure a later try may fix.
OPEN = "(status = 'no_result' OR (status = 'failed' AND retryable = 1))"


def _latest_wins(table: str, stage: str, columns: tuple[str, ...]) -> str:
    """Insert the stage's rows into ``table``, keeping the last staged row (highest load_seq) per order.

    A join on each order's highest ``load_seq`` (hash aggregate + hash join) rather than a window function,
    which would sort every wide row.
    """
    names = ", ".join(f"s.{name}" for name in columns)
    latest = f"SELECT order_no, MAX(load_seq) AS load_seq FROM {stage} GROUP BY order_no"
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {names} FROM {stage} s "
        f"JOIN ({latest}) latest ON s.order_no = latest.order_no AND s.load_seq = latest.load_seq"
    )


def refresh_status(sync: Sync, touched: str) -> list[str]:
    """Rebuild the status rows of the orders ``touched`` selects from their history: the latest row, and the
    number of days they were queried (an expiry row is not a query). One pass over those orders' history rows
    with window functions (narrow rows sorted once), not an aggregate joined back to the history."""
    status, history = sync.status, sync.history
    names = ", ".join(status.names)
    ranked = (
        "SELECT order_no, order_date, status, reason, retryable, error_code, "
        "ROW_NUMBER() OVER (PARTITION BY order_no ORDER BY run_date DESC) AS latest, "
        "SUM(CASE WHEN status = 'expired' THEN 0 ELSE 1 END) OVER (PARTITION BY order_no) AS attempts, "
        "MAX(CASE WHEN status = 'expired' THEN NULL ELSE run_date END) OVER (PARTITION BY order_no) AS last_attempt "
        f"FROM {history.name} WHERE order_no IN ({touched})"
    )
    return [
        f"DELETE FROM {status.name} WHERE order_no IN ({touched})",
        f"INSERT INTO {status.name} ({names}) "
        "SELECT order_no, order_date, status, reason, retryable, attempts, last_attempt, error_code "
        f"FROM ({ranked}) AS ranked WHERE latest = 1",
    ]


def stage(table_name: str) -> str:
    """The temporary table a load stages ``table_name``'s rows in."""
    return STAGED[table_name]


def merge_statements(sync: Sync, run_date: date) -> list[str]:
    """Merge a sync's stage tables of one run date into the warehouse (run inside one transaction).

    Results: replace the rows of the staged orders (latest staged row wins). History: replace this run date's
    rows of the staged orders. Status: rebuilt from history for the staged orders, and so are their verdicts.
    Running it twice with the same stage leaves the same tables.
    """
    day = run_date.isoformat()
    results, history = sync.results, sync.history
    staged_results, staged_history = stage(results.name), stage(history.name)
    touched = f"SELECT order_no FROM {staged_history}"
    return [
        f"DELETE FROM {results.name} WHERE order_no IN (SELECT order_no FROM {staged_results})",
        _latest_wins(results.name, staged_results, results.names),
        f"DELETE FROM {history.name} WHERE run_date = '{day}' AND order_no IN ({touched})",
        _latest_wins(history.name, staged_history, history.names),
        *refresh_status(sync, touched),
        *refresh_verdicts(touched),
    ]


def retention_cutoff(run_date: date, retention_days: int) -> date:
    """Orders dated on or before this are past Tencent's retention on ``run_date`` (3 days: day 1 → day 4)."""
    return run_date - timedelta(days=retention_days)


def stage_expiries(sync: Sync, run_date: date, retention_days: int) -> str:
    """Fill the history stage with an ``expired`` row for every open order past the retention window."""
    day, cutoff = run_date.isoformat(), retention_cutoff(run_date, retention_days).isoformat()
    reason = f"no result within {retention_days} days of the order date (Tencent keeps results about 3 days)"
    return (
        f"INSERT INTO {stage(sync.history.name)} ({', '.join(sync.history.names)}, load_seq) "
        f"SELECT order_no, '{day}', order_date, 'expired', '{reason}', 0, last_error_code, 0 "
        f"FROM {sync.status.name} WHERE order_date <= '{cutoff}' AND {OPEN}"
    )


def expired_on(sync: Sync, run_date: date) -> str:
    """How many orders the run of ``run_date`` marked expired."""
    day = run_date.isoformat()
    return f"SELECT COUNT(*) FROM {sync.history.name} WHERE run_date = '{day}' AND status = 'expired'"


def carried_over(sync: Sync, run_date: date, retention_days: int) -> str:
    """Earlier orders to query again on ``run_date``: open and inside the window, or already queried by an
    earlier attempt of this same run date (so a re-run of the day lists the same orders)."""
    day, cutoff = run_date.isoformat(), retention_cutoff(run_date, retention_days).isoformat()
    return (
        f"SELECT order_no, order_date FROM {sync.status.name} "
        f"WHERE order_date > '{cutoff}' AND order_date < '{day}' AND {OPEN} "
        f"UNION SELECT order_no, order_date FROM {sync.history.name} "
        f"WHERE run_date = '{day}' AND order_date < '{day}' AND status <> 'expired' "
        f"ORDER BY order_no"
    )
