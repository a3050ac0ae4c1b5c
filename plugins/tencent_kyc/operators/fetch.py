"""TencentKycFetchOperator: one mapped task per shard, thin over the hook and :mod:`tencent_kyc.fetch`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator, Context

from tencent_kyc.fetch.fetchers import FETCHERS, Evidence
from tencent_kyc.fetch.progress import Progress
from tencent_kyc.fetch.shard import fetch_shard
from tencent_kyc.hooks.kyc import TencentKycHook
from tencent_kyc.orders.planning import ShardPlan, read_orders


def _typed(name: str, value: Any, kind: type) -> Any:
    """Templated arguments arrive rendered as native values (the DAG renders natively); say so if not."""
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"{name} must be a {kind.__name__}, got {value!r} (render the DAG's templates natively)")
    return value


#: Requests in flight per shard task by default: enough to keep up with a lone client's whole quota while some
#: threads wait out Tencent's media lag (a face record's photo and video, 2 s between re-queries).
DEFAULT_CONCURRENCY = 16


class TencentKycFetchOperator(BaseOperator):
    """
    Fetch one shard of a sync's orders (its plan says which sync: ``ocr`` or ``face``) into staging storage.

    Rate limiting: every call waits for a slot of the WBappid's one QPS quota, booked in the connection's
    credential store, which every task, run and DAG on the app shares (see :mod:`tencent_kyc.hooks.pacer`).
    However many shard tasks run, they stay inside the quota together, and one alone uses all of it; pools
    and ``max_active_tis_per_dag`` only bound how many workers the fetch occupies.

    :param shard: the shard's plan, as the planning task returns it (:class:`~tencent_kyc.orders.planning.ShardPlan`).
    :param get_file: the OCR sync keeps the ID-card photos as evidence (templated; a boolean).
    :param face_media: the face sync keeps ``none``, the ``photo``, the ``video`` or ``both`` (templated).
    :param concurrency: requests in flight at once within this task (templated; an integer).
    :param tencent_kyc_conn_id: the ``tencent_kyc`` connection (templated).
    :param progress_interval: seconds between progress lines in the task log.
    """

    template_fields: Sequence[str] = ("shard", "get_file", "face_media", "concurrency", "tencent_kyc_conn_id")

    def __init__(
        self,
        *,
        shard: dict[str, Any],
        get_file: bool = True,
        face_media: str = "none",
        concurrency: int = DEFAULT_CONCURRENCY,
        tencent_kyc_conn_id: str = TencentKycHook.default_conn_name,
        progress_interval: float = 10.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.shard = shard
        self.get_file = get_file
        self.face_media = face_media
        self.concurrency = concurrency
        self.tencent_kyc_conn_id = tencent_kyc_conn_id
        self.progress_interval = progress_interval

    def execute(self, context: Context) -> dict[str, Any]:
        plan = ShardPlan.from_xcom(self.shard)
        evidence = Evidence(_typed("get_file", self.get_file, bool), _typed("face_media", self.face_media, str))
        concurrency = _typed("concurrency", self.concurrency, int)
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        context["shard_label"] = plan.label  # type: ignore[typeddict-unknown-key]  # read by map_index_template
        orders = list(read_orders(plan.layout.shard(plan.shard)))
        if len(orders) != plan.orders:
            raise ValueError(f"{plan.label}: the shard file holds {len(orders)} orders, the plan says {plan.orders}")
        hook = TencentKycHook(self.tencent_kyc_conn_id)
        self.log.info("%s: fetching %s with %d requests in flight, %s", plan.label, plan.sync, concurrency, evidence)
        summary = fetch_shard(
            FETCHERS.get(plan.sync)(hook, plan.layout, evidence),
            orders,
            plan.layout.results(plan.shard),
            concurrency=concurrency,
            progress=Progress(plan.label, plan.orders, self.log, self.progress_interval),
        )
        return {"plan": plan.as_xcom(), **summary.as_xcom(), **hook.call_counts(), "qps_quota": hook.settings.qps_quota}
