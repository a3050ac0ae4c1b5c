"""FaceResult read as the face result reference (§4-§7) says Tencent answers: every code and shape, read tolerantly."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tencent_kyc.api.errors import KycTransientError
from tencent_kyc.api.face import (
    GET_FILE,
    MEDIA_CHOICES,
    NO_RECORD,
    FaceOutcome,
    FaceResult,
    occurred_at,
    score,
    wanted_media,
)

ORDER = "1617091885609174325769165852"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(200))
MP4 = b"\x00\x00\x00\x20ftypisom" + bytes(range(255, 0, -1))
PHOTO, VIDEO = base64.b64encode(JPEG).decode(), base64.b64encode(MP4).decode()
#: The reference's §4.1 example, with real Base64 media.
EXAMPLE: dict[str, Any] = {
    "code": "0",
    "msg": "请求成功",
    "bizSeqNo": "26112420001184453211174015790894",
    "result": {
        "orderNo": ORDER,
        "liveRate": "99",
        "similarity": "88.01",
        "occurredTime": "20261124104717",
        "appId": "IDAXXXXX",
        "photo": PHOTO,
        "video": VIDEO,
        "bizSeqNo": "26112420001184453211174015790894",
        "sdkVersion": "1.12.12",
        "trtcFlag": "Y",
    },
    "transactionTime": "20261124111740",
}


def answer(code: Any = "0", **result: Any) -> FaceResult:
    """The FaceResult of an envelope with ``code`` and a ``result`` of exactly ``result`` (none if empty)."""
    envelope: dict[str, Any] = {"code": code, "msg": "m"}
    if result:
        envelope["result"] = result
    return FaceResult.from_envelope(ORDER, envelope)


def test_the_references_example_is_a_pass_with_its_scores_time_media_and_sdk_fields() -> None:
    result = FaceResult.from_envelope(ORDER, EXAMPLE)
    assert (result.order_no, result.code, result.message) == (ORDER, "0", "请求成功")
    assert result.outcome is FaceOutcome.PASSED
    assert (result.similarity, result.live_rate) == (88.01, 99.0)
    assert result.occurred_at == "2026-11-24T10:47:17+08:00"
    assert result.media == {"photo": JPEG, "video": MP4}
    assert "photo" not in result.fields and "video" not in result.fields  # media never in the text fields
    sdk = {key: result.fields[key] for key in ("sdkVersion", "trtcFlag", "appId")}
    assert sdk == {"sdkVersion": "1.12.12", "trtcFlag": "Y", "appId": "IDAXXXXX"}
    assert result.missing_media(("photo", "video")) == () and result.queries == 1


@pytest.mark.parametrize("code", ["0", 0])
def test_code_0_is_a_pass_whether_text_or_number(code: Any) -> None:
    result = answer(code, liveRate="99")
    assert (result.outcome, result.code) == (FaceOutcome.PASSED, "0")


@pytest.mark.parametrize("code", [NO_RECORD, 66660011])
def test_66660011_is_no_record_with_nothing_in_it(code: Any) -> None:
    result = FaceResult.from_envelope(ORDER, {"code": code, "msg": "无此查询结果", "result": None})
    assert (result.outcome, result.code, result.message) == (FaceOutcome.NO_RECORD, "66660011", "无此查询结果")
    assert result.fields == {} and result.media == {}
    assert result.similarity is result.live_rate is result.occurred_at is None
    assert result.missing_media(("photo", "video")) == ()  # nothing to wait for


@pytest.mark.parametrize("code", ["66660004", "66660010", "66660015", "66660022"])
def test_other_codes_are_not_passed_with_or_without_a_result(code: str) -> None:
    bare = answer(code)
    assert (bare.outcome, bare.code, bare.fields) == (FaceOutcome.NOT_PASSED, code, {})
    assert bare.similarity is bare.live_rate is None
    scored = answer(code, orderNo=ORDER, liveRate="72", similarity="41.30", occurredTime="20261124104717", photo="")
    assert scored.outcome is FaceOutcome.NOT_PASSED
    assert (scored.similarity, scored.live_rate, scored.occurred_at) == (41.3, 72.0, "2026-11-24T10:47:17+08:00")
    # Tencent leaves media out of some failed verifications: that is not lag, nothing is re-queried for it
    assert bare.missing_media(("photo", "video")) == scored.missing_media(("photo", "video")) == ()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("99", 99.0),
        ("88.01", 88.01),
        ("100", 100.0),
        ("0", 0.0),
        (99, 99.0),
        (88.01, 88.01),
        ("1e2", 100.0),
        (" 99 ", 99.0),
        ("", None),
        (None, None),
        ("abc", None),
        ("88,01", None),
        ("N/A", None),
        (True, None),
        ("NaN", None),
        ("nan", None),
        ("inf", None),
        ("-Infinity", None),
        # Python's float() also reads these; no JSON or decimal text writes them
        ("9_9", None),
        ("٩٩", None),
        ("９９", None),
        # out of 0-100: read as the number sent (stored raw); the validation calls it no score
        ("150", 150.0),
        (-5, -5.0),
    ],
)
def test_scores_are_read_tolerantly_and_garbage_is_no_score(value: Any, expected: float | None) -> None:
    assert score(value) == expected
    result = answer(similarity=value, liveRate=value)
    assert (result.similarity, result.live_rate) == (expected, expected)


def test_absent_scores_and_json_nan_or_infinity_are_no_score() -> None:
    assert (answer(orderNo=ORDER).similarity, answer(orderNo=ORDER).live_rate) == (None, None)
    envelope = json.loads('{"code": "0", "result": {"similarity": NaN, "liveRate": Infinity}}')
    result = FaceResult.from_envelope(ORDER, envelope)
    assert (result.similarity, result.live_rate) == (None, None)


def test_unknown_fields_are_kept_as_text_and_success_is_dropped() -> None:
    result = answer(oriCode="66660004", attempts=3, ratio=0.5, flag=False, gone=None, success=False)
    assert result.fields == {"oriCode": "66660004", "attempts": "3", "ratio": "0.5", "flag": "false"}


def test_an_unknown_object_or_list_is_kept_as_its_json_text() -> None:
    result = answer(riskInfo={"level": 2, "tags": ["翻拍", None]}, steps=[1, "2"])
    assert result.fields == {"riskInfo": '{"level": 2, "tags": ["翻拍", null]}', "steps": '[1, "2"]'}
    assert json.loads(result.fields["riskInfo"]) == {"level": 2, "tags": ["翻拍", None]}  # readable by an audit


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("20261124104717", "2026-11-24T10:47:17+08:00"),
        ("2026-11-24 10:47:17", "2026-11-24T10:47:17+08:00"),
        (20261124104717, "2026-11-24T10:47:17+08:00"),
        ("20260101000000", "2026-01-01T00:00:00+08:00"),
        (None, None),
        ("", None),
        ("yesterday", None),
        ("20261324104717", None),  # month 13
        ("20260230104717", None),  # 30 February
        ("20261124254717", None),  # hour 25
        ("2026-11-24T10:47:17", None),  # ISO 8601 is not a format Tencent writes here
        ("2026/11/24 10:47:17", None),
        ("20261124104717+0800", None),
        ("20261124104760", None),  # second 60
        # truncated or unpadded: strptime alone would read "202611241047" as 10:04:07, a wrong time
        ("202611241047", None),
        ("2026112410471", None),
        ("2026-1-5 3:4:5", None),
        ("2026-11-24  10:47:17", None),
    ],
)
def test_occurred_time_in_both_formats_is_beijing_time(value: Any, expected: str | None) -> None:
    assert occurred_at(value) == expected
    assert answer(occurredTime=value).occurred_at == expected


def test_occurred_time_is_beijing_so_its_utc_instant_is_eight_hours_earlier() -> None:
    stamp = datetime.fromisoformat(answer(occurredTime="20261124050000").occurred_at or "")
    assert stamp.utcoffset() == timedelta(hours=8)
    assert stamp.astimezone(UTC) == datetime(2026, 11, 23, 21, 0, tzinfo=UTC)  # the day before, in UTC


@pytest.mark.parametrize(
    ("media", "missing"),
    [
        ({"photo": PHOTO, "video": VIDEO}, ()),
        ({"photo": "", "video": ""}, ("photo", "video")),  # lagging: empty strings
        ({"photo": PHOTO}, ("video",)),  # left out: absent
        ({"photo": None, "video": VIDEO}, ("photo",)),
        ({}, ("photo", "video")),
    ],
)
def test_a_passed_records_empty_or_absent_media_are_missing(media: dict[str, Any], missing: tuple[str, ...]) -> None:
    result = answer(liveRate="99", **media)
    assert result.missing_media(("photo", "video")) == missing
    assert result.missing_media(("photo",)) == tuple(name for name in missing if name == "photo")
    assert result.missing_media(()) == ()
    assert {name: data for name, data in result.media.items() if data} == {
        name: {"photo": JPEG, "video": MP4}[name] for name in ("photo", "video") if media.get(name)
    }


def test_empty_and_absent_media_differ_in_the_result_but_not_in_what_is_missing() -> None:
    assert answer(liveRate="99", photo="").media == {"photo": b""}
    assert answer(liveRate="99").media == {}


def test_garbled_base64_is_transient_and_its_message_holds_no_media() -> None:
    garbled = PHOTO[:40] + "%%%" + PHOTO[40:]
    with pytest.raises(KycTransientError, match="queryfacerecord: media field video") as raised:
        answer(photo=PHOTO, video=garbled)
    assert PHOTO[:40] not in str(raised.value) and raised.value.retryable


@pytest.mark.parametrize(
    ("choice", "get_file", "wanted"),
    [
        ("none", None, ()),
        ("photo", "2", ("photo",)),
        ("video", "3", ("video",)),
        ("both", "1", ("photo", "video")),
    ],
)
def test_each_media_choice_asks_the_documented_get_file(
    choice: str, get_file: str | None, wanted: tuple[str, ...]
) -> None:
    assert choice in MEDIA_CHOICES
    assert GET_FILE.get(choice) == get_file  # §1: "1" photo and video, "2" photo only, "3" video only
    assert wanted_media(choice) == wanted


def test_the_media_choices_are_exactly_none_and_the_get_file_ones() -> None:
    assert set(MEDIA_CHOICES) == {"none", *GET_FILE}
    with pytest.raises(KeyError):
        wanted_media("audio")


def test_repr_names_the_media_but_never_holds_their_bytes_or_base64() -> None:
    result = FaceResult.from_envelope(ORDER, EXAMPLE).with_queries(3)
    for text in (repr(result), str(result)):
        assert ORDER in text and "outcome=passed" in text and "queries=3" in text
        assert "media=['photo', 'video']" in text
        for secret in (PHOTO[:16], VIDEO[:16], repr(JPEG[:8])[2:-1], repr(MP4[:8])[2:-1], "JFIF", "ftyp"):
            assert secret not in text
