"""The personal-data policy: masks, HMACs checked against an independent computation, and clear refusals."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from tencent_kyc.warehouse.pii import PiiPolicy, PiiPolicyError, Treatment, mask

KEY = "0123456789abcdef0123456789abcdef"


def test_the_default_hashes_the_id_number_and_masks_name_and_address() -> None:
    policy = PiiPolicy.from_param(None)
    assert (policy.idcard, policy.name, policy.address) == (Treatment.HMAC, Treatment.MASKED, Treatment.MASKED)
    assert policy.describe() == "idcard=hmac name=masked address=masked"
    assert policy.needs_key and policy.key_conn_id == "tencent_kyc_pii"


@pytest.mark.parametrize(
    ("field", "value", "masked"),
    [
        ("idcard", "11010519881001003X", "110105********003X"),
        ("idcard", "123", "***"),
        ("name", "张三丰", "张**"),
        ("name", "买买提·艾力", "买*****"),
        ("name", "欧阳娜娜", "欧阳**"),
        ("name", "司马光", "司马*"),
        ("name", "诸葛亮", "诸葛*"),
        ("name", "欧阳", "欧*"),  # a bare compound surname: never stored whole
        ("name", "阳光", "阳*"),
        ("address", "广东省深圳市南山区科技园路1号", "广东省深圳市****"),
        ("address", "北京", "北京****"),
    ],
)
def test_masks_keep_the_first_six_and_last_four_of_an_id_the_surname_and_the_city(
    field: str, value: str, masked: str
) -> None:
    assert mask(field, value) == masked


def test_hmac_is_hmac_sha256_of_the_value_with_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_TENCENT_KYC_PII", json.dumps({"conn_type": "generic", "password": KEY}))
    policy = PiiPolicy.from_param({"name": "hmac", "address": "full"})
    protect = policy.protector(policy.load_key())
    expected = hmac.new(KEY.encode(), b"11010519881001003X", hashlib.sha256).hexdigest()
    assert protect("idcard", "11010519881001003x") == expected  # the check character's case does not matter
    assert protect("name", "张三丰") == hmac.new(KEY.encode(), "张三丰".encode(), hashlib.sha256).hexdigest()
    assert protect("address", "广东省深圳市") == "广东省深圳市"
    assert protect("authority", "深圳市公安局") == "深圳市公安局"  # not personal data under the policy
    assert protect("idcard", None) is None and protect("name", "") == ""


def test_full_and_masked_need_no_key() -> None:
    policy = PiiPolicy.from_param({"idcard": "full", "name": "full", "address": "masked"})
    assert policy.load_key() is None
    assert policy.protector(None)("idcard", "11010519881001003X") == "11010519881001003X"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"idcard": "encrypted"}, r"pii.idcard must be one of \['full', 'masked', 'hmac'\], got 'encrypted'"),
        ({"phone": "full"}, r"unknown key\(s\) \['phone'\]"),
        ({"key_conn_id": ""}, "key_conn_id must be a connection id"),
        (["hmac"], "pii must be an object, got list"),
    ],
)
def test_bad_policies_are_refused_by_name(value: object, message: str) -> None:
    with pytest.raises(PiiPolicyError, match=message):
        PiiPolicy.from_param(value)  # type: ignore[arg-type]


def test_a_missing_or_weak_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    policy = PiiPolicy.from_param({"key_conn_id": "kyc_test_pii"})
    with pytest.raises(PiiPolicyError, match=r"connection 'kyc_test_pii' .* cannot be read"):
        policy.load_key()
    monkeypatch.setenv("AIRFLOW_CONN_KYC_TEST_PII", json.dumps({"conn_type": "generic", "password": "short"}))
    with pytest.raises(PiiPolicyError, match="at least 16 characters"):
        policy.load_key()
    with pytest.raises(PiiPolicyError, match="needs the key"):
        policy.protector(None)


def test_the_key_is_masked_in_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.sdk._shared.secrets_masker import _secrets_masker

    monkeypatch.setenv("AIRFLOW_CONN_TENCENT_KYC_PII", json.dumps({"conn_type": "generic", "password": KEY}))
    PiiPolicy.from_param(None).load_key()
    assert KEY not in str(_secrets_masker().redact(f"key={KEY}"))
