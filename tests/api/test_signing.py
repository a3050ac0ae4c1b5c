"""The three worked examples of Tencent's signature doc, and the nonce rules."""

from __future__ import annotations

import pytest

from tencent_kyc.api.signing import NONCE_PATTERN, make_nonce, sign, sign_order_query

NONCE = "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T"
TICKET_XO = "XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS"


def test_example_a_sdk_user_id_signature() -> None:
    assert sign("IDAXXXXX", "userID19959248596551", NONCE, "1.0.0", TICKET_XO) == (
        "D7606F1741DDCF90757DA924EDCF152A200AC7F0"
    )


def test_example_b_order_signature_is_the_get_ocr_result_shape() -> None:
    ticket = "FxlAe3HFtEy73Um0pJNzIUriwtfnS3KRcPXiesd5ulS4XRAIcT0FbfaP52dwZf5S"
    assert sign_order_query(app_id="appId001", order_no="aabc1457895464", ticket=ticket, nonce=NONCE) == (
        "993D057C652D97FD90D5D298F2E5DC4B8D893CBC"
    )


def test_example_c_get_ocr_cert_id_signature() -> None:
    assert sign_order_query(app_id="IDAXXXXX", order_no="orderNo596551", ticket=TICKET_XO, nonce=NONCE) == (
        "6CD5F0DBCFA1155E2A66754B33C2E67DD358393B"
    )


def test_values_sort_by_code_point_not_case_insensitively() -> None:
    # "B" < "a" in code-point order; a case-insensitive sort would put "a" first.
    import hashlib

    assert sign("a", "B") == hashlib.sha1(b"Ba").hexdigest().upper()
    assert sign("a", "B") != hashlib.sha1(b"aB").hexdigest().upper()


def test_null_values_are_dropped() -> None:
    assert sign("x", None, "y") == sign("x", "y")


@pytest.mark.parametrize("_", range(20))
def test_nonces_are_32_letters_and_digits_and_fresh(_: int) -> None:
    first, second = make_nonce(), make_nonce()
    assert NONCE_PATTERN.fullmatch(first)
    assert first != second
