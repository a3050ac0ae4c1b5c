"""KycReviewOperator: when the quality gate in mode ``review`` trips, a human decides whether the day loads.

It is the standard provider's :class:`ApprovalOperator` (the UI's Required Actions page, or the REST API,
answers it), asked only when the gate tripped and otherwise skipped. The request shows the shares, their
thresholds and the top reasons; a comment can be given. Approve: the load goes on. Reject: the load is skipped.
No answer within ``response_timeout_seconds``: the task fails, as the gate does in mode ``fail``. Whatever
happens, the decision, who gave it and the comment are pushed as the XCom ``review``, for the day's record.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow.sdk import Context, Param
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from tencent_kyc.quality.gate import review_text


class KycReviewOperator(ApprovalOperator):
    """
    Ask whether to load a day whose quality gate tripped in mode ``review``.

    :param gate_task_id: the task whose XCom ``day`` holds the gate's verdict.
    :param response_timeout_seconds: how long to wait for an answer (templated; an integer).
    """

    template_fields: Sequence[str] = (*ApprovalOperator.template_fields, "response_timeout_seconds")

    def __init__(self, *, gate_task_id: str, response_timeout_seconds: Any, **kwargs: Any) -> None:
        comment = Param("", type="string", title="Comment", description="Why (kept with the day's record)")
        # The DAG hands its params to every task it holds; here they would become form fields on the Required
        # Actions page (order lists included), all expected back in the answer. The form is the comment alone
        # (templates still see the DAG's params: the run's context merges them).
        kwargs.pop("params", None)
        super().__init__(
            subject="Load a Tencent KYC day whose quality gate tripped?", params={"comment": comment}, **kwargs
        )
        self.gate_task_id = gate_task_id
        self.response_timeout_seconds = response_timeout_seconds

    def execute(self, context: Context) -> Any:
        day = context["ti"].xcom_pull(task_ids=self.gate_task_id, key="day")
        if not day or not day.get("needs_review"):
            raise AirflowSkipException("the quality gate passed, or its mode asks for no review")
        seconds = self.response_timeout_seconds
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 1:
            raise AirflowFailException(f"response_timeout must be a whole number of seconds, got {seconds!r}")
        self.response_timeout = timedelta(seconds=seconds)
        self.subject = f"Tencent KYC {context['dag'].dag_id}, run {context['run_id']}: load the day anyway?"
        self.body = review_text(day)
        return super().execute(context)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> Any:
        if event.get("error_type") == "timeout":
            self._record(context, "timed_out", None, "", datetime.now(UTC))
            raise AirflowFailException(
                f"No answer to the review within {self.response_timeout_seconds} s: as in mode 'fail', nothing of "
                "the day is loaded"
            )
        chosen = event.get("chosen_options") or []
        user = event.get("responded_by_user") or {}
        comment = str((event.get("params_input") or {}).get("comment") or "")
        decision = "approved" if chosen == [self.APPROVE] else "rejected"
        self._record(context, decision, user.get("name") or user.get("id"), comment, event.get("responded_at"))
        return super().execute_complete(context, event)

    def _record(self, context: Context, decision: str, reviewer: Any, comment: str, at: Any) -> None:
        answered = at.isoformat(timespec="seconds") if isinstance(at, datetime) else at
        review = {"decision": decision, "reviewer": reviewer, "comment": comment, "reviewed_at": answered}
        context["ti"].xcom_push(key="review", value=review)
        self.log.info("Review of the day: %s by %s", decision, reviewer or "nobody")
