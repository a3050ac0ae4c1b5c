"""Redshift: the staged load files ``COPY``'d from S3 through a manifest with an IAM role, then merged.

The amazon provider's ``S3ToRedshiftOperator`` UPSERT handles one table, runs its COPY outside the merge's
transaction and keeps every duplicate of a batch; the load here needs two tables, the history-driven status
and one transaction, so it reuses the provider's ``RedshiftSQLHook`` (the connection, a DbApiHook) and its
COPY shape instead. Credentials are always an IAM role the cluster assumes (the connection's ``iam_role_arn``
extra): access keys never appear in SQL text, where they would reach Redshift's query logs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, ClassVar

from tencent_kyc.storage import DayLayout, write_bytes
from tencent_kyc.warehouse.base import Warehouse, WarehouseError
from tencent_kyc.warehouse.schema import VERIFICATIONS, Dialect
from tencent_kyc.warehouse.sql import stage
from tencent_kyc.warehouse.syncs import Sync

_ROLE = re.compile(r"^arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


class RedshiftWarehouse(Warehouse):
    dialect: ClassVar[Dialect] = "redshift"

    @property
    def iam_role(self) -> str:
        role = self.extra.get("iam_role_arn")
        if not isinstance(role, str) or not _ROLE.match(role):
            raise WarehouseError(
                "the redshift warehouse connection needs extra 'iam_role_arn' (arn:aws:iam::<account>:role/<name>), "
                f"the role Redshift assumes to read the staged files; got {role!r}"
            )
        return role

    def _serialize(self, cursor: Any) -> None:
        """Redshift's LOCK: the other sync's merge waits for this transaction."""
        cursor.execute(f"LOCK {VERIFICATIONS.name}")

    def check_storage(self, layout: DayLayout) -> None:
        if layout.load.protocol not in ("s3", "s3a"):
            raise WarehouseError(f"Redshift loads from S3: storage_root must be s3://…, got {layout.root!r}")
        region = self.extra.get("region")
        if region is not None and not (isinstance(region, str) and _REGION.match(region)):
            raise WarehouseError(f"the redshift warehouse connection's extra 'region' is not a region: {region!r}")
        _ = self.iam_role

    def copy_statement(self, stage: str, manifest: str) -> str:
        """COPY of one stage table from the files a manifest lists (all mandatory: a missing file fails it)."""
        region = f" REGION '{self.extra['region']}'" if self.extra.get("region") else ""
        return (
            f"COPY {stage} FROM '{manifest}' IAM_ROLE '{self.iam_role}' MANIFEST FORMAT AS CSV GZIP EMPTYASNULL{region}"
        )

    def _stage(self, cursor: Any, sync: Sync, layout: DayLayout, shards: Sequence[int]) -> None:
        self.check_storage(layout)
        for table in sync.staged:
            entries = [{"url": _s3_url(layout.load_rows(table.name, shard)), "mandatory": True} for shard in shards]
            manifest = layout.load / f"{table.name}.manifest"
            write_bytes(manifest, json.dumps({"entries": entries}, indent=1).encode())
            cursor.execute(self.copy_statement(stage(table.name), _s3_url(manifest)))


def _s3_url(path: Any) -> str:
    """``s3://bucket/key`` of an ObjectStoragePath (without the connection id it may carry)."""
    return f"s3://{path.bucket}/{path.key}"
