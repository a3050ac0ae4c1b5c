"""Redshift, which cannot run here: the exact SQL it is sent, the S3 side on a moto server, and the same merge.

The stand-in connection records every statement and runs it on a real PostgreSQL; its only translation is
``COPY … FROM '<manifest>' … MANIFEST`` → reading that manifest and its files from the moto S3 and
``COPY … FROM STDIN`` into PostgreSQL. So the recorded SQL is what Redshift would get, the manifest and files
are really on S3, and the merge Redshift would run is executed for real, beside PostgresWarehouse's own.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import psycopg
import pytest
from airflow.providers.amazon.aws.hooks.redshift_sql import RedshiftSQLHook

from tencent_kyc.warehouse import sql
from tencent_kyc.warehouse.base import Warehouse, WarehouseError
from tencent_kyc.warehouse.dialects import warehouse_for
from tencent_kyc.warehouse.schema import HISTORY, RESULTS, TABLES, schema_statements
from tencent_kyc.warehouse.syncs import OCR
from verdict_cases import CASES, expected, load_every_case, named_sides, verdicts
from warehouse_helpers import dump, judged, postgres_connection, unanswered

DAY = date(2026, 11, 2)
ROLE = "arn:aws:iam::123456789012:role/kyc-redshift-copy"
BUCKET = "kyc-redshift-staging"
#: Table attributes PostgreSQL does not know (distribution and sort keys): dropped when run there.
_REDSHIFT_ONLY = re.compile(r" DISTKEY\(\w+\) SORTKEY\([\w, ]+\)$")
_COPY = re.compile(
    r"^COPY (\w+) FROM '(s3://([^/]+)/([^']+))' IAM_ROLE '([^']+)' MANIFEST FORMAT AS CSV GZIP EMPTYASNULL"
)


class RedshiftOnPostgres:
    """A redshift_connector stand-in: every statement is recorded, then run on PostgreSQL (COPY translated)."""

    def __init__(self, dsn: str, schema: str, s3: Any, sent: list[str]) -> None:
        self.connection = psycopg.connect(dsn, options=f"-c search_path={schema}")
        self.real = self.connection.cursor()
        self.s3, self.sent = s3, sent

    def cursor(self) -> RedshiftOnPostgres:
        return self

    def execute(self, statement: str, parameters: Any = None) -> None:
        self.sent.append(statement)
        copy = _COPY.match(statement)
        if copy is None:
            self.real.execute(_REDSHIFT_ONLY.sub("", statement), parameters)
            return
        table, _, bucket, key, _ = copy.groups()
        manifest = json.loads(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        with self.real.copy(f"COPY {table} FROM STDIN (FORMAT csv)") as target:
            for entry in manifest["entries"]:
                entry_bucket, entry_key = entry["url"].removeprefix("s3://").split("/", 1)
                target.write(gzip.decompress(self.s3.get_object(Bucket=entry_bucket, Key=entry_key)["Body"].read()))

    @property
    def description(self) -> Any:
        return self.real.description

    def fetchone(self) -> Any:
        return self.real.fetchone()

    def fetchall(self) -> Any:
        return self.real.fetchall()

    def commit(self) -> None:
        self.connection.commit()

    def rollback(self) -> None:
        self.connection.rollback()

    def close(self) -> None:
        self.connection.close()


@pytest.fixture
def s3(s3_client: Any, aws_connection: str) -> Any:
    client = s3_client
    if BUCKET not in [b["Name"] for b in client.list_buckets()["Buckets"]]:
        client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def redshift(
    s3: Any, postgres_dsn: str, postgres_schema: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Warehouse, list[str]]]:
    """A ``redshift`` warehouse connection whose cluster is the stand-in; yields it and the SQL it was sent."""
    extra = {"iam_role_arn": ROLE, "region": "us-east-1"}
    monkeypatch.setenv("AIRFLOW_CONN_KYC_REDSHIFT", json.dumps({"conn_type": "redshift",
        "host": "kyc.abc123.us-east-1.redshift.amazonaws.com", "port": 5439, "login": "loader",
        "password": "redshift-password", "schema": "dev", "extra": extra}))  # fmt: skip
    sent: list[str] = []
    monkeypatch.setattr(
        RedshiftSQLHook, "get_conn", lambda self: RedshiftOnPostgres(postgres_dsn, postgres_schema, s3, sent)
    )
    yield warehouse_for("kyc_redshift"), sent


def test_redshift_gets_the_schema_copy_from_a_manifest_with_the_role_and_the_shared_merge(
    redshift: tuple[Warehouse, list[str]],
    stage: Callable[..., Any],
    s3: Any,
    postgres_dsn: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    warehouse, sent = redshift
    assert type(warehouse).__name__ == "RedshiftWarehouse"
    warehouse.ensure_schema()
    schema = schema_statements("redshift")
    probes = [f"SELECT * FROM {table.name} WHERE 1 = 0" for table in TABLES]  # columns of older versions' tables
    assert sent == [*schema, *probes]
    assert "VARCHAR(65535)" in sent[0] and schema[-2].startswith("CREATE OR REPLACE VIEW kyc_ocr_quarantine")
    assert schema[-1].startswith("CREATE OR REPLACE VIEW kyc_face_quarantine")
    assert sent[0].endswith("PRIMARY KEY (order_no)) DISTKEY(order_no) SORTKEY(order_no)")
    assert sent[1].endswith("DISTKEY(order_no) SORTKEY(order_no, run_date)")

    records = [[judged("A1"), unanswered("B1")], [judged("C1", status="rejected"), judged("A1", name="李四")]]
    layout = stage(DAY, records, root=f"s3://aws_default@{BUCKET}/kyc")
    sent.clear()
    loaded = warehouse.load(OCR, layout, [0, 1])
    assert (loaded.results, loaded.history) == (3, 4)

    prefix = f"s3://{BUCKET}/kyc/staging/ocr/{DAY.isoformat()}/load"
    assert sent == [
        RESULTS.ddl("redshift", "stage_results", temporary=True),
        HISTORY.ddl("redshift", "stage_history", temporary=True),
        f"COPY stage_results FROM '{prefix}/kyc_ocr_results.manifest' IAM_ROLE '{ROLE}' "
        "MANIFEST FORMAT AS CSV GZIP EMPTYASNULL REGION 'us-east-1'",
        f"COPY stage_history FROM '{prefix}/kyc_order_history.manifest' IAM_ROLE '{ROLE}' "
        "MANIFEST FORMAT AS CSV GZIP EMPTYASNULL REGION 'us-east-1'",
        "LOCK kyc_verifications",  # the other sync's merge waits: both rebuild verdicts
        "SELECT COUNT(*) FROM stage_results",
        "SELECT COUNT(*) FROM stage_history",
        *sql.merge_statements(OCR, DAY),  # the very statements the PostgreSQL and SQLite tests run
    ]
    assert not any(secret in statement for statement in sent for secret in ("testing", "aws_access_key_id"))

    manifest = json.loads(
        s3.get_object(Bucket=BUCKET, Key=f"kyc/staging/ocr/{DAY}/load/kyc_ocr_results.manifest")["Body"].read()
    )
    assert manifest == {
        "entries": [
            {"url": f"{prefix}/kyc_ocr_results-00000.csv.gz", "mandatory": True},
            {"url": f"{prefix}/kyc_ocr_results-00001.csv.gz", "mandatory": True},
        ]
    }
    for entry in manifest["entries"]:
        key = entry["url"].removeprefix(f"s3://{BUCKET}/")
        assert s3.head_object(Bucket=BUCKET, Key=key)["ServerSideEncryption"] == "AES256"

    # The same staged files through PostgresWarehouse, into its own schema: the same tables.
    with psycopg.connect(postgres_dsn, autocommit=True) as admin:
        admin.execute("CREATE SCHEMA wh_redshift_twin")
    try:
        monkeypatch.setenv("AIRFLOW_CONN_KYC_PG_TWIN", postgres_connection(postgres_dsn, "wh_redshift_twin"))
        twin = warehouse_for("kyc_pg_twin")
        twin.ensure_schema()
        twin.load(OCR, layout, [0, 1])
        assert dump(warehouse) == dump(twin)
    finally:
        with psycopg.connect(postgres_dsn, autocommit=True) as admin:
            admin.execute("DROP SCHEMA wh_redshift_twin CASCADE")


def test_a_missing_manifest_file_fails_the_copy_and_changes_nothing(
    redshift: tuple[Warehouse, list[str]], stage: Callable[..., Any], s3: Any
) -> None:
    warehouse, _ = redshift
    warehouse.ensure_schema()
    layout = stage(DAY, [[judged("A1")]], root=f"s3://aws_default@{BUCKET}/kyc-one-shard")
    with pytest.raises(Exception, match=r"NoSuchKey|does not exist|Not Found"):
        warehouse.load(OCR, layout, [0, 1])  # shard 1 was never staged: a mandatory manifest entry is missing
    assert dump(warehouse)["kyc_order_status"] == []


@pytest.mark.parametrize(
    ("extra", "root", "message"),
    [
        ({"iam_role_arn": ROLE}, "file:///tmp/kyc", "Redshift loads from S3: storage_root must be s3://"),
        ({}, f"s3://aws_default@{BUCKET}/kyc", "needs extra 'iam_role_arn'"),
        ({"iam_role_arn": "AKIAIOSFODNN7EXAMPLE"}, f"s3://aws_default@{BUCKET}/kyc", "needs extra 'iam_role_arn'"),
        ({"iam_role_arn": ROLE, "region": "us east'1"}, f"s3://aws_default@{BUCKET}/kyc", "is not a region"),
    ],
)
def test_a_redshift_warehouse_refuses_what_it_cannot_load_from(
    extra: dict[str, str], root: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tencent_kyc.storage import DayLayout

    value = {"conn_type": "redshift", "host": "kyc.example", "login": "u", "password": "p", "extra": extra}
    monkeypatch.setenv("AIRFLOW_CONN_KYC_REDSHIFT", json.dumps(value))
    with pytest.raises(WarehouseError, match=re.escape(message)):
        warehouse_for("kyc_redshift").check_storage(DayLayout(root, DAY, "ocr"))


def test_redshift_gets_the_verdicts_of_both_syncs_by_the_same_rule(
    redshift: tuple[Warehouse, list[str]], stage: Callable[..., Any]
) -> None:
    warehouse, sent = redshift
    warehouse.ensure_schema()
    load_every_case(warehouse, stage, root=f"s3://aws_default@{BUCKET}/kyc-verdicts")
    found = verdicts(warehouse)
    for order, ocr, face in CASES:
        verdict, sides = expected(ocr, face)
        assert (found[order][0], named_sides(found[order][1])) == (verdict, sides), f"{order}: {ocr.name}/{face.name}"
    merges = [statement for statement in sent if statement.startswith("INSERT INTO kyc_verifications")]
    assert len(merges) == 6  # each sync: two loads and one expiry, each rebuilding the verdicts it touched
    assert sent.count("LOCK kyc_verifications") == 6
