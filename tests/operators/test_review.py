"""The review's form is the comment alone, whatever params the DAG holds (the Required Actions page would
otherwise show the DAG's params, order lists included, and refuse an answer that does not return them all)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk.definitions.param import process_params

DAGS = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture(params=["tencent_kyc_ocr_daily", "tencent_kyc_face_daily"])
def review(request: pytest.FixtureRequest) -> Any:
    return DagBag(dag_folder=str(DAGS)).dags[request.param].get_task("review_day")


def test_the_request_asks_for_the_comment_only_and_takes_an_answer_with_it(review: Any) -> None:
    assert set(review.serialized_params) == {"comment"}
    review.validate_params_input({"comment": "a known camera batch"})
    assert review.params["comment"] == "a known camera batch"


def test_its_templates_still_see_the_dags_params(review: Any) -> None:
    params = process_params(review.dag, review, {"response_timeout": 600}, suppress_exception=False)
    assert params["response_timeout"] == 600 and "order_source" in params and params["comment"] == ""
    assert review.response_timeout_seconds == "{{ params.response_timeout }}"
