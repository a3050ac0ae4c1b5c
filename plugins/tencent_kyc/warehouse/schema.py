"""The warehouse tables, declared once: the DDL of every dialect, the staged row layout and the README table.

Created if absent:

- ``kyc_ocr_results``: one row per order with an OCR result (latest wins), validation status and reasons included;
- ``kyc_ocr_quarantine``: a view of the rejected OCR results;
- ``kyc_order_history``: one row per order and run date: what that day's OCR run found (an expiry is a row too);
- ``kyc_order_status``: one row per order: its latest OCR history row, with the number of attempts;
- ``kyc_face_results``, ``kyc_face_history``, ``kyc_face_status``: the same for the face verification records;
- ``kyc_verifications``: one row per order seen by either sync: both sides and the order's verdict;
- ``kyc_sync_runs``: one row per DAG and run date: the day's counts and timings.

Values are kept as Tencent sent them (text); dates and counts are typed. An absent or empty value is NULL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["text", "date", "int", "real"]
Dialect = Literal["sqlite", "postgres", "redshift"]

#: Column types per dialect. Redshift's TEXT is VARCHAR(256) bytes, too short for Chinese addresses.
TYPES: dict[Dialect, dict[Kind, str]] = {
    "sqlite": {"text": "TEXT", "date": "TEXT", "int": "INTEGER", "real": "REAL"},
    "postgres": {"text": "TEXT", "date": "DATE", "int": "BIGINT", "real": "DOUBLE PRECISION"},
    "redshift": {"text": "VARCHAR(65535)", "date": "DATE", "int": "BIGINT", "real": "DOUBLE PRECISION"},
}


@dataclass(frozen=True)
class Column:
    """One column; ``backfill`` is the SQL value given to rows written before the column existed, when a new
    version of the table is made from an older one (see :func:`migration`)."""

    name: str
    kind: Kind
    meaning: str
    backfill: str = "NULL"


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    meaning: str

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def ddl(self, dialect: Dialect, name: str | None = None, temporary: bool = False) -> str:
        """``CREATE TABLE`` for ``dialect``; a temporary copy (the load stage) has no key and a ``load_seq``."""
        types = TYPES[dialect]
        columns = [f"{column.name} {types[column.kind]}" for column in self.columns]
        if temporary:
            columns.append(f"load_seq {types['int']}")
            return f"CREATE TEMPORARY TABLE {name or self.name} ({', '.join(columns)})"
        columns.append(f"PRIMARY KEY ({', '.join(self.key)})")
        create = f"CREATE TABLE IF NOT EXISTS {name or self.name} ({', '.join(columns)})"
        if dialect == "redshift" and self.key[0] == "order_no":  # merges join on order_no: co-locate and sort
            create += f" DISTKEY(order_no) SORTKEY({', '.join(self.key)})"
        return create


def _text(name: str, meaning: str, backfill: str = "NULL") -> Column:
    return Column(name, "text", meaning, backfill)


#: Result fields kept per order: column name → Tencent's ``result`` field.
RESULT_FIELDS: dict[str, str] = {
    "front_code": "frontCode",
    "back_code": "backCode",
    "name": "name",
    "sex": "sex",
    "nation": "nation",
    "birth": "birth",
    "address": "address",
    "idcard": "idcard",
    "valid_date": "validDate",
    "authority": "authority",
    "native_place": "nativePlace",
    "operate_time": "operateTime",
    "front_warn_code": "frontWarnCode",
    "back_warn_code": "backWarnCode",
    "front_multi_warning": "frontMultiWarning",
    "back_multi_warning": "backMultiWarning",
}
#: Photo columns → Tencent's photo field (the column holds the evidence object's location).
PHOTO_COLUMNS: dict[str, str] = {
    "photo_front": "frontPhoto",
    "photo_front_crop": "frontCrop",
    "photo_head": "headPhoto",
    "photo_back": "backPhoto",
    "photo_back_crop": "backCrop",
}

RESULTS = Table(
    "kyc_ocr_results",
    (
        _text("order_no", "Tencent order number (key)"),
        Column("order_date", "date", "the order's date (the day it was listed first)"),
        Column("run_date", "date", "the daily run that fetched this result (later than order_date for late results)"),
        _text("outcome", "fetched, front_only, back_only or not_recognised"),
        _text("code", "getOcrResult code (0)"),
        _text("validation_status", "accepted, accepted_with_warnings or rejected"),
        _text("validation_reasons", "validation codes, space-separated (see Validation)"),
        _text("front_code", "frontCode: 0 when the portrait side was recognised"),
        _text("back_code", "backCode: 0 when the emblem side was recognised"),
        _text("name", "name, under the personal-data policy"),
        _text("sex", "sex (男/女)"),
        _text("nation", "nation, without 族"),
        _text("birth", "birth date, yyyyMMdd"),
        _text("address", "address, under the personal-data policy"),
        _text("idcard", "ID number, under the personal-data policy"),
        _text("valid_date", "validity, yyyyMMdd-yyyyMMdd (or 长期)"),
        _text("authority", "issuing authority"),
        _text("native_place", "nativePlace, when Tencent sends it"),
        _text("operate_time", "when Tencent recognised the card"),
        _text("front_warn_code", "frontWarnCode, as sent"),
        _text("back_warn_code", "backWarnCode, as sent"),
        _text("front_multi_warning", "frontMultiWarning, as sent"),
        _text("back_multi_warning", "backMultiWarning, as sent"),
        _text("front_warnings", "decoded portrait-side warning flags, space-separated"),
        _text("back_warnings", "decoded emblem-side warning flags, space-separated"),
        Column("front_clarity", "int", "frontClarity"),
        Column("back_clarity", "int", "backClarity"),
        _text("photo_front", "location of the portrait-side photo"),
        _text("photo_front_crop", "location of the portrait-side crop (the full photo if Tencent sent none)"),
        _text("photo_head", "location of the head photo"),
        _text("photo_back", "location of the emblem-side photo"),
        _text("photo_back_crop", "location of the emblem-side crop (the full photo if Tencent sent none)"),
        _text("missing_photos", "photos still missing after the re-queries, space-separated"),
        _text("pii_policy", "how idcard, name and address are stored, e.g. idcard=hmac name=masked address=masked"),
    ),
    ("order_no",),
    "one row per order with a result; a later load of the same order replaces its row",
)


def history_table(name: str, outcome: str) -> Table:
    """A sync's order history: what each day's run found for each of its orders."""
    return Table(
        name,
        (
            _text("order_no", "Tencent order number (key)"),
            Column("run_date", "date", "the daily run (key)"),
            Column("order_date", "date", "the order's date"),
            _text("status", f"loaded, quarantined, no_result (no {outcome} yet), failed or expired"),
            _text("reason", "why: validation reasons, the no-result code, the error, or the expiry"),
            Column("retryable", "int", "1 if a later run should query the order again"),
            _text("error_code", "the Tencent or client error code, if any"),
        ),
        ("order_no", "run_date"),
        "what each day's run found for each order; re-running a day replaces that day's rows",
    )


def status_table(name: str) -> Table:
    """A sync's order status: where each of its orders stands, from its history."""
    return Table(
        name,
        (
            _text("order_no", "Tencent order number (key)"),
            Column("order_date", "date", "the order's date"),
            _text("status", "loaded, quarantined, no_result, failed or expired (the latest history row)"),
            _text("reason", "why, as in the history"),
            Column("retryable", "int", "1 while the order is queried again by later runs"),
            Column("attempts", "int", "days on which the order was queried"),
            Column("last_attempt_date", "date", "the latest run that queried it"),
            _text("last_error_code", "the latest row's error code, if any"),
        ),
        ("order_no",),
        "one row per order: where it stands",
    )


HISTORY = history_table("kyc_order_history", "OCR result")
STATUS = status_table("kyc_order_status")

FACE_RESULTS = Table(
    "kyc_face_results",
    (
        _text("order_no", "Tencent order number (key)"),
        Column("order_date", "date", "the order's date (the day it was listed first)"),
        Column("run_date", "date", "the daily run that fetched this record"),
        _text(
            "outcome",
            "passed (code 0), not_passed (another verdict code), no_record (66660011) or failed (no definitive answer)",
        ),
        _text("code", "queryfacerecord code"),
        _text("message", "Tencent's message for the code"),
        Column("similarity", "real", "face comparison score, 0-100 (absent in liveness-only flows)"),
        Column("live_rate", "real", "liveness score, 0-100"),
        _text("occurred_at", "when the user did the face flow (ISO 8601, Beijing time)"),
        _text("sdk_version", "the SDK version of the session"),
        _text("trtc_flag", "Y when the session ran over TRTC"),
        _text("photo", "location of the face photo (evidence), if fetched"),
        _text("video", "location of the face video (evidence), if fetched"),
        _text("photo_sha256", "SHA-256 of the face photo's bytes, if fetched"),
        _text("video_sha256", "SHA-256 of the face video's bytes, if fetched"),
        _text("missing_media", "media asked for but still missing after the re-queries, space-separated"),
        _text("validation_status", "accepted, accepted_with_warnings or rejected"),
        _text("validation_reasons", "validation codes, space-separated (see Validation)"),
        _text("other_fields", "JSON: result fields without a column of their own (kept for schema drift)"),
    ),
    ("order_no",),
    "one row per order queried (a later load of the same order replaces its row): what the latest query found",
)
FACE_HISTORY = history_table("kyc_face_history", "face record")
FACE_STATUS = status_table("kyc_face_status")

VERIFICATIONS = Table(
    "kyc_verifications",
    (
        _text("order_no", "Tencent order number (key)"),
        Column("order_date", "date", "the order's date (the OCR side's, else the face side's)"),
        _text("ocr_status", "the order's kyc_order_status status, if the OCR sync saw it"),
        _text("ocr_reasons", "its reason"),
        _text("face_outcome", "the face record's outcome, if one was found"),
        _text("face_status", "the order's kyc_face_status status, if the face sync saw it"),
        _text("face_reasons", "its reason"),
        _text("verdict", "verified, rejected or incomplete (see the verdict rule)"),
        _text("verdict_reasons", "why, side by side: what is missing, pending or rejected"),
    ),
    ("order_no",),
    "one row per order seen by either sync: both sides and one verdict",
)

RUNS = Table(
    "kyc_sync_runs",
    (
        _text("dag_id", "the DAG (key)", backfill="'tencent_kyc_ocr_daily'"),
        Column("run_date", "date", "the run's order date (key)"),
        _text("sync", "which sync: ocr (getOcrResult) or face (queryfacerecord)", backfill="'ocr'"),
        _text("dag_run_id", "the Airflow run that wrote this row last"),
        Column("orders", "int", "orders queried (the day's new orders plus the carried-over ones)"),
        Column("carried_over", "int", "earlier orders queried again (no result yet, or a retryable failure)"),
        Column("expired", "int", "orders that became expired in this run"),
        Column("rows_loaded", "int", "result rows merged (0 when the day was not loaded)"),
        _text("by_outcome", "JSON: orders per fetch outcome"),
        _text("by_status", "JSON: orders per warehouse status"),
        _text("by_reason", "JSON: findings per validation code"),
        _text("gate", "the quality gate's verdict"),
        _text("gate_detail", "JSON: the gate's mode, both shares and their thresholds, the top reasons"),
        _text("review_decision", "the human review of a tripped gate: approved, rejected or timed_out"),
        _text("reviewer", "who answered the review"),
        _text("review_comment", "the reviewer's comment"),
        _text("reviewed_at", "when the review was answered (UTC, ISO 8601)"),
        Column("retention_days", "int", "days after its order date an order was queried before it expired"),
        _text("staging_path", "where the day's staged files are (quarantine/, rejected_orders.jsonl)"),
        Column("qps_quota", "real", "the connection's QPS quota"),
        Column("fetch_calls", "int", "requests the fetch tasks sent (token and ticket included, retries counted)"),
        Column("fetch_throttled", "int", "answers refusing a request for the quota (400501, 400504, HTTP 429)"),
        Column("fetch_retries", "int", "requests sent again after a throttled or transient failure"),
        Column("fetch_seconds", "real", "seconds during which at least one fetch task ran"),
        Column("fetch_rate", "real", "fetch_calls / fetch_seconds: requests per second while fetching"),
        _text("started_at", "when the run started (UTC, ISO 8601)"),
        _text("finished_at", "when this row was written (UTC, ISO 8601)"),
        _text("task_seconds", "JSON: seconds per phase (list, fetch, validate, load)"),
    ),
    ("dag_id", "run_date"),
    "one row per DAG and run date; a re-run replaces it (so its timings are the latest run's)",
)

TABLES = (RESULTS, HISTORY, STATUS, FACE_RESULTS, FACE_HISTORY, FACE_STATUS, VERIFICATIONS, RUNS)
#: A view of each results table: its rejected rows.
QUARANTINE_VIEWS = {RESULTS.name: "kyc_ocr_quarantine", FACE_RESULTS.name: "kyc_face_quarantine"}
#: The stage tables a load fills before the merge (temporary, per transaction).
STAGED = {
    RESULTS.name: "stage_results",
    HISTORY.name: "stage_history",
    FACE_RESULTS.name: "stage_face_results",
    FACE_HISTORY.name: "stage_face_history",
}


def schema_statements(dialect: Dialect) -> list[str]:
    """The tables and the quarantine views, created if absent."""
    create_view = "CREATE VIEW IF NOT EXISTS" if dialect == "sqlite" else "CREATE OR REPLACE VIEW"
    views = [
        f"{create_view} {view} AS SELECT * FROM {table} WHERE validation_status = 'rejected'"
        for table, view in QUARANTINE_VIEWS.items()
    ]
    return [*(table.ddl(dialect) for table in TABLES), *views]


def migration(table: Table, existing: list[str], dialect: Dialect) -> list[str]:
    """What brings a table made by an earlier version to the declared one: nothing when the columns match;
    ``ADD COLUMN`` for new columns outside the key; when the key itself gained a column, a new table filled
    from the old one (the new columns get their ``backfill``), which then replaces it."""
    missing = [column for column in table.columns if column.name not in existing]
    if not missing:
        return []
    types = TYPES[dialect]
    if not any(column.name in table.key for column in missing):
        return [f"ALTER TABLE {table.name} ADD COLUMN {c.name} {types[c.kind]}" for c in missing]
    old = f"{table.name}_before_migration"
    values = [column.name if column.name in existing else column.backfill for column in table.columns]
    return [  # a copy rather than a rename: PostgreSQL's key index would keep the table's name
        f"CREATE TEMPORARY TABLE {old} AS SELECT * FROM {table.name}",
        f"DROP TABLE {table.name}",
        table.ddl(dialect),
        f"INSERT INTO {table.name} ({', '.join(table.names)}) SELECT {', '.join(values)} FROM {old}",
        f"DROP TABLE {old}",
    ]


def markdown() -> str:
    """The schema as README tables (tests keep the README equal to this)."""
    parts = []
    for table in TABLES:
        parts.append(f"**`{table.name}`**: {table.meaning}.\n\n| Column | Type | Meaning |\n|---|---|---|")
        parts += [f"| `{c.name}` | {c.kind} | {c.meaning} |" for c in table.columns]
        parts.append("")
    views = (
        f"**`{view}`**: a view of `{table}` where `validation_status = 'rejected'`."
        for table, view in QUARANTINE_VIEWS.items()
    )
    parts.append("\n\n".join(views))
    return "\n".join(parts)
