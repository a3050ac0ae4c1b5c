"""TencentKycFetchOperator: one mapped task per shard, thin over the hook and :mod:`tencent_kyc.fetch`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from airflow.sdk import BaseOperator, Context, ObjectStoragePath

from tencent_kyc.api.settings import parse_bool
from tencent_kyc.fetch.progress import Progress
from tencent_kyc.fetch.shard import fetch_shard
from tencent_kyc.hooks.kyc import TencentKycHook
from tencent_kyc.storage import DayLayout


class TencentKycFetchOperator(BaseOperator):
    """
    Fetch the OCR results of one shard of order numbers into staging storage.

    Rate limiting: the connection's QPS quota is split evenly between the shard tasks that can run at once,
    ``min(parallel_shards, shards of the day)`` (the DAG sets ``parallel_shards`` as the task's
    ``max_active_tis_per_dag`` and runs one DAG run at a time), and each task paces its calls to its share.
    No shared state is needed between workers, and the total can never exceed the quota, whichever workers
    the tasks land on. Other DAGs using the same WBappid must be given their own part of the quota.

    :param shard: from the planning task: ``{"shard": index, "path": shard file, "orders": count,
        "shards": shards of the day, "order_date": "YYYY-MM-DD", "storage_root": "file://…" or
        "s3://conn@bucket/prefix"}``.
    :param get_file: also fetch the ID-card photos and keep them as evidence.
    :param concurrency: requests in flight at once within this task.
    :param parallel_shards: how many shard tasks may run at once; this task uses 1/parallel_shards of the quota.
    :param tencent_kyc_conn_id: the ``tencent_kyc`` connection.
    :param progress_interval: seconds between progress lines in the task log.
    """

    template_fields: Sequence[str] = ("shard", "get_file", "concurrency", "tencent_kyc_conn_id")

    def __init__(
        self,
        *,
        shard: dict[str, Any],
        get_file: bool = True,
        concurrency: int = 8,
        parallel_shards: int = 1,
        tencent_kyc_conn_id: str = TencentKycHook.default_conn_name,
        progress_interval: float = 10.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.shard = shard
        self.get_file = get_file
        self.concurrency = concurrency
        self.parallel_shards = parallel_shards
        self.tencent_kyc_conn_id = tencent_kyc_conn_id
        self.progress_interval = progress_interval

    def execute(self, context: Context) -> dict[str, Any]:
        index, count = int(self.shard["shard"]), int(self.shard["orders"])
        label = f"shard-{index:05d} ({count} orders)"
        context["shard_label"] = label  # type: ignore[typeddict-unknown-key]  # read by map_index_template
        layout = DayLayout(self.shard["storage_root"], date.fromisoformat(self.shard["order_date"]))
        orders = ObjectStoragePath(self.shard["path"]).read_text(encoding="utf-8").split()
        if len(orders) != count:
            raise ValueError(f"{label}: the shard file holds {len(orders)} order numbers, the plan says {count}")
        running_at_once = max(1, min(int(self.parallel_shards), int(self.shard.get("shards", self.parallel_shards))))
        hook = TencentKycHook(self.tencent_kyc_conn_id, quota_share=1.0 / running_at_once)
        concurrency = max(1, int(self.concurrency))
        self.log.info("%s: fetching with %d requests in flight, get_file=%s", label, concurrency, self.get_file)
        summary = fetch_shard(
            hook,
            orders,
            layout,
            layout.results(index),
            get_file=parse_bool(self.get_file),
            concurrency=concurrency,
            progress=Progress(label, count, self.log, self.progress_interval),
        )
        return {"shard": index, "order_date": self.shard["order_date"], "storage_root": layout.root, **summary}
