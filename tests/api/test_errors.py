"""Every documented code lands in the class a caller acts on."""

from __future__ import annotations

import pytest

from tencent_kyc.api.errors import (
    NO_RESULT_CODES,
    KycAuthError,
    KycOrderError,
    KycRequestError,
    KycThrottledError,
    KycTransientError,
    error_for_code,
)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("400501", KycThrottledError),
        ("400504", KycThrottledError),
        ("999999", KycTransientError),
        ("999998", KycTransientError),
        ("999997", KycTransientError),
        ("400101", KycAuthError),
        ("400102", KycAuthError),
        ("400103", KycAuthError),
        ("400104", KycAuthError),
        ("400105", KycAuthError),
        ("400502", KycRequestError),
        ("400503", KycRequestError),
        ("66660015", KycOrderError),
        ("66661001", KycOrderError),
        ("66661003", KycOrderError),
        ("66661004", KycOrderError),
        ("66661005", KycOrderError),
        ("66661006", KycOrderError),
        ("66661007", KycOrderError),
        ("66661008", KycOrderError),
        ("66661010", KycOrderError),
        ("66661012", KycOrderError),
        ("66661099", KycOrderError),
        ("300101", KycOrderError),
    ],
)
def test_order_query_codes_map_to_their_class(code: str, expected: type) -> None:
    error = error_for_code(code, "msg", endpoint="getOcrResult", order_no="A1")
    assert type(error) is expected
    assert error.code == code
    assert error.order_no == "A1"
    assert code in str(error)


def test_unknown_code_on_a_credential_call_is_a_request_error_not_an_order_error() -> None:
    assert type(error_for_code("123", "?", endpoint="access_token")) is KycRequestError


def test_no_result_codes_are_outcomes_not_errors() -> None:
    assert {"66660020", "66660011"} == NO_RESULT_CODES
