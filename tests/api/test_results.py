"""Parsing of the seed document's response example and of Tencent's quirks."""

from __future__ import annotations

import base64
import json

import pytest

from tencent_kyc.api.errors import KycTransientError
from tencent_kyc.api.results import OcrResult, Outcome

SEED_EXAMPLE = json.loads(
    """{
   "code":"0",
   "msg":"请求成功",
   "bizSeqNo":"21062120001184438417355807876765",
   "result":{
        "bizSeqNo":"21062120001184438417355807876765",
        "transactionTime":"20210621173558",
        "backCode":"0",
        "orderNo":"h1jw98k72ffe3de249qmf1723673v31v",
        "name":"xxx",
        "sex":"男",
        "nation":"汉",
        "birth":"19881001",
        "address":"xxxxxxxxxx",
        "idcard":"xxxxxxxxxxxxxxxxxx",
        "validDate":"20190128-20390128",
        "authority":"xxxxxx",
        "operateTime":"2021-06-21 17:35:27",
        "frontWarnCode":"00000000",
        "backWarnCode":"00000000",
        "frontMultiWarning":"00000000",
        "backMultiWarning":"00000000",
        "frontClarity":"64",
        "backClarity":"72",
        "success":false,
        "frontCode":"0"
},
"transactionTime":"20210621173558"
}"""
)
ORDER = "h1jw98k72ffe3de249qmf1723673v31v"


def test_seed_example_parses() -> None:
    result = OcrResult.from_envelope(ORDER, SEED_EXAMPLE)
    assert result.code == "0"
    assert result.message == "请求成功"
    assert result.biz_seq_no == "21062120001184438417355807876765"
    assert result.transaction_time == "20210621173558"
    assert result.outcome is Outcome.FETCHED
    assert result.fields["nation"] == "汉"
    assert result.fields["validDate"] == "20190128-20390128"
    assert result.fields["frontClarity"] == "64"
    assert result.fields["frontMultiWarning"] == "00000000"
    assert "success" not in result.fields  # meaningless per Tencent
    assert result.photos == {}


def test_numbers_as_ints_and_unknown_fields_are_kept_as_text() -> None:
    envelope = {"code": 0, "msg": "ok", "result": {"frontCode": 0, "backCode": "66661007", "frontClarity": 64, "x": 1}}
    result = OcrResult.from_envelope("A1", envelope)
    assert result.code == "0"
    assert result.fields["frontClarity"] == "64"
    assert result.fields["x"] == "1"
    assert result.outcome is Outcome.FRONT_ONLY


@pytest.mark.parametrize(
    ("front", "back", "outcome"),
    [
        ("0", "0", Outcome.FETCHED),
        ("0", "1", Outcome.FRONT_ONLY),
        ("1", "0", Outcome.BACK_ONLY),
        ("1", "1", Outcome.NOT_RECOGNISED),
    ],
)
def test_outcome_follows_the_side_codes(front: str, back: str, outcome: Outcome) -> None:
    envelope = {"code": "0", "result": {"frontCode": front, "backCode": back}}
    assert OcrResult.from_envelope("A1", envelope).outcome is outcome


def test_no_result_code_is_an_outcome() -> None:
    assert OcrResult.from_envelope("A1", {"code": "66660020", "msg": "OCR 结果查询不到"}).outcome is Outcome.NO_RESULT


def test_photos_are_decoded_and_missing_required_ones_reported() -> None:
    jpeg = b"\xff\xd8\xff\xe0fake"
    encoded = base64.b64encode(jpeg).decode()
    result_fields = {"frontCode": "0", "backCode": "0", "frontPhoto": encoded, "frontCrop": "", "headPhoto": encoded}
    result = OcrResult.from_envelope("A1", {"code": "0", "result": {**result_fields, "backPhoto": "", "backCrop": ""}})
    assert result.photos["frontPhoto"] == jpeg
    assert result.photos["frontCrop"] == b""
    assert result.missing_photos() == ("backPhoto",)  # an empty crop is allowed, an empty photo is lag


def test_bad_base64_is_a_transient_error() -> None:
    with pytest.raises(KycTransientError, match="frontPhoto"):
        OcrResult.from_envelope("A1", {"code": "0", "result": {"frontPhoto": "%%%"}})


def test_repr_hides_personal_data() -> None:
    text = repr(OcrResult.from_envelope(ORDER, {**SEED_EXAMPLE, "result": {**SEED_EXAMPLE["result"], "name": "张三"}}))
    assert ORDER in text
    for value in ("张三", "xxxxxxxxxx", "19881001", "xxxxxxxxxxxxxxxxxx"):
        assert value not in text
