"""The face records: one per order number, deterministic, each saying exactly what its labels announce, with
exact fault counts, and real media (a JPEG frame, an MP4 of boxes).

Records are checked against the labels by rules written here from the spec (tencent_face_result_api.md §4-§6),
not by the generator's helpers.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import struct
import subprocess
import sys
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import tencent_kyc_dev
from tencent_kyc_dev.simulator.faces import FaceBook, FaceRates, FaceRecord, face_video, media_for
from tencent_kyc_dev.simulator.orders import Completion, OrderBook
from tencent_kyc_dev.simulator.photos import face_photo

DAY = date(2026, 11, 27)
NOT_PASSED = {"66660004", "66660010", "66660015", "66660022"}
TWO_DECIMALS = re.compile(r"\d{2,3}\.\d\d")


def book(**knobs: int) -> FaceBook:
    return FaceBook(OrderBook(orders_per_day=knobs.pop("orders", 5000), **knobs))


@pytest.fixture(scope="module")
def records() -> list[FaceRecord]:
    return book().records(DAY)


def similarity_of(record: FaceRecord) -> float | None:
    text = (record.result or {}).get("similarity")
    return float(text) if text else None


def check(record: FaceRecord) -> None:
    """The record is what its labels say, and a plausible record otherwise."""
    labels = set(record.injected)
    if record.code == "66660011":
        assert labels == {"face_no_record"} and record.outcome == "no_record"
        assert record.result is None and record.completes_on is None and record.media == ()
        return
    assert record.completes_on is not None
    late = (record.completes_on - record.order_date).days
    assert late in (0, 1) and (late == 1) == ("face_late:1" in labels)
    assert record.media_lag == ("face_media_lag" in labels)
    assert record.numeric_scores == ("face_numeric_scores" in labels)
    assert record.sdk_version.count(".") == 2
    result = record.result
    if result is not None:
        assert result["orderNo"] == record.order_no and result["liveRate"].isdigit()
        layout = "%Y-%m-%d %H:%M:%S" if "face_dash_time" in labels else "%Y%m%d%H%M%S"
        assert datetime.strptime(result["occurredTime"], layout).date() == record.completes_on
        assert ("oriCode" in result) == ("face_extra_field" in labels)
        assert set(result) <= {"orderNo", "liveRate", "similarity", "occurredTime", "oriCode"}
        if result.get("similarity"):
            assert TWO_DECIMALS.fullmatch(result["similarity"])
    else:
        assert not labels & {"face_dash_time", "face_extra_field", "face_numeric_scores"}
    if record.code != "0":
        assert record.code in NOT_PASSED and record.outcome == "not_passed"
        assert f"face_not_passed:{record.code}" in labels and record.media == ()
        assert not any(label.startswith(("face_media", "face_low", "face_liveness")) for label in labels)
        if result is not None:
            similarity = similarity_of(record)
            assert (similarity is not None) == (record.code == "66660004")
            assert similarity is None or similarity < 70
        return
    assert record.outcome == "passed" and result is not None
    missing = {label.rpartition(":")[2] for label in labels if label.startswith("face_media_missing:")}
    assert len(missing) <= 1 and record.media == tuple(name for name in ("photo", "video") if name not in missing)
    live_rate, similarity = int(result["liveRate"]), similarity_of(record)
    assert 40 <= live_rate <= 79 if "face_low_liveness" in labels else 90 <= live_rate <= 100
    if "face_liveness_only" in labels:
        assert result.get("similarity", "") == ""
    elif "face_low_similarity" in labels:
        assert similarity is not None and 70 <= similarity < 80
    else:
        assert similarity is not None and 80 <= similarity <= 100


def count(records: list[FaceRecord], prefix: str) -> int:
    return sum(any(label.startswith(prefix) for label in record.injected) for record in records)


# -- records -------------------------------------------------------------------------------------------------


def test_every_order_has_one_face_record_under_its_number(records: list[FaceRecord]) -> None:
    faces = book()
    numbers = faces.book.order_numbers(DAY)
    assert [record.order_no for record in records] == numbers
    assert all(record.order_date == DAY for record in records)
    assert [faces.lookup(number) for number in numbers[:300]] == records[:300]
    for unknown in ("A1", numbers[0][:-1] + "x", numbers[0].upper(), ""):
        assert faces.lookup(unknown) is None


def test_every_record_is_what_its_labels_say(records: list[FaceRecord]) -> None:
    for record in records:
        check(record)
    assert {record.outcome for record in records} == {"passed", "not_passed", "no_record"}


def test_every_face_fault_hits_its_exact_share(records: list[FaceRecord]) -> None:
    rates, orders = FaceRates(), len(records)

    def share(*parts: float) -> int:
        return round(sum(parts) * orders)

    expected = {
        "face_no_record": share(rates.face_no_record),
        "face_not_passed:": share(rates.face_not_passed),
        "face_late:1": share(rates.face_late),
        "face_media_lag": share(rates.face_media_lag),
        "face_media_missing:": share(rates.face_media_lag, rates.face_media_missing) - share(rates.face_media_lag),
        "face_low_similarity": share(rates.face_low_similarity),
        "face_low_liveness": share(rates.face_low_similarity, rates.face_low_liveness)
        - share(rates.face_low_similarity),
        "face_liveness_only": share(rates.face_low_similarity, rates.face_low_liveness, rates.face_liveness_only)
        - share(rates.face_low_similarity, rates.face_low_liveness),
        "face_numeric_scores": share(rates.face_numeric_scores),
        "face_extra_field": share(rates.face_extra_field),
        "face_dash_time": share(rates.face_dash_time),
    }
    assert {prefix: count(records, prefix) for prefix in expected} == expected
    codes = Counter(record.code for record in records if record.outcome == "not_passed")
    assert set(codes) == NOT_PASSED and codes["66660004"] == max(codes.values())
    assert 0.7 * orders < sum(not record.injected for record in records) < 0.85 * orders


def test_injected_counts_tally_the_labels(records: list[FaceRecord]) -> None:
    assert book().injected_counts(DAY) == dict(Counter(label for record in records for label in record.injected))


def test_some_failed_verifications_carry_their_scores_and_none_their_media(records: list[FaceRecord]) -> None:
    failed = [record for record in records if record.outcome == "not_passed"]
    plain = [record for record in failed if not set(record.injected) & {"face_dash_time", "face_extra_field"}]
    with_result = sum(record.result is not None for record in plain)
    assert 0.25 * len(plain) < with_result < 0.75 * len(plain)
    assert all(record.media == () and media_for(record) == {} for record in failed)


def test_both_spellings_of_a_liveness_only_flow_occur(records: list[FaceRecord]) -> None:
    liveness_only = [record.result for record in records if "face_liveness_only" in record.injected]
    assert {"similarity" in result for result in liveness_only if result} == {True, False}


def test_sdk_versions_and_trtc_flags_vary(records: list[FaceRecord]) -> None:
    assert len({record.sdk_version for record in records}) > 1
    assert 0.2 < sum(record.trtc for record in records) / len(records) < 0.4


def test_face_records_are_independent_of_ocr_records() -> None:
    faces = book(orders=2000)
    pairs = [(faces.book.lookup(record.order_no), record) for record in faces.records(DAY)]
    ocr_never = [face.outcome for order, face in pairs if order and order.completion is Completion.NEVER]
    assert "passed" in ocr_never  # a face record without an OCR result
    assert any(face.outcome == "no_record" and order and order.completes_on for order, face in pairs)


# -- determinism ---------------------------------------------------------------------------------------------


DIGEST = """
import hashlib
from datetime import date
from tencent_kyc_dev.simulator.faces import FaceBook, media_for
from tencent_kyc_dev.simulator.orders import OrderBook
records = FaceBook(OrderBook(seed=99, orders_per_day=200)).records(date(2026, 11, 27))
media = [hashlib.sha256(b"".join(media_for(record).values())).hexdigest() for record in records]
print(hashlib.sha256(repr((records, media)).encode()).hexdigest())
"""


def test_records_and_media_are_identical_across_instances_and_processes() -> None:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(DIGEST, {})
        exec(DIGEST, {})
    first, second = printed.getvalue().split()
    assert first == second
    plugins = str(Path(tencent_kyc_dev.__file__).resolve().parents[1])
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONPATH": plugins, "PYTHONHASHSEED": hash_seed}
        output = subprocess.run([sys.executable, "-c", DIGEST], env=env, capture_output=True, text=True, check=True)
        assert output.stdout.strip() == first


def test_seed_and_day_change_the_records() -> None:
    base = book(orders=300).records(DAY)
    assert book(orders=300, seed=1).records(DAY) != base
    assert [r.injected for r in book(orders=300).records(DAY + timedelta(days=1))] != [r.injected for r in base]


# -- media ---------------------------------------------------------------------------------------------------


def boxes(data: bytes) -> list[bytes]:
    """The top-level ISO BMFF box types; the boxes must tile the file exactly."""
    kinds, offset = [], 0
    while offset < len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        assert size >= 8 and offset + size <= len(data)
        kinds.append(kind)
        offset += size
    return kinds


def test_the_photo_is_a_portrait_jpeg_of_the_face_on_the_id_card(records: list[FaceRecord]) -> None:
    photos = {face_photo(record.order_no) for record in records[:400]}
    assert 4 <= len(photos) <= 8  # a few rendered variants, picked per order
    for data in photos:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        image = Image.open(io.BytesIO(data))
        assert image.format == "JPEG" and image.mode == "RGB" and image.size == (360, 480)
        assert 3_000 < len(data) < 60_000


def test_the_video_is_a_small_mp4_per_order(records: list[FaceRecord]) -> None:
    videos = [face_video(record.order_no) for record in records[:200]]
    assert len(set(videos)) == len(videos)
    for data in videos:
        assert data[4:12] == b"ftypisom" and boxes(data) == [b"ftyp", b"moov", b"mdat"]
        assert 2_000 < len(data) < 8_000
    assert face_video(records[0].order_no) == videos[0]


def test_media_follow_the_record(records: list[FaceRecord]) -> None:
    for record in records[:500]:
        media = media_for(record)
        assert tuple(media) == record.media
        assert media.get("video", face_video(record.order_no)) == face_video(record.order_no)


# -- rates ---------------------------------------------------------------------------------------------------

_RATE_NAMES = list(FaceRates.__dataclass_fields__)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**64),
    orders=st.integers(1, 300),
    day=st.dates(date(1990, 1, 1), date(2060, 12, 31)),
    shares=st.lists(st.floats(0, 0.3), min_size=len(_RATE_NAMES), max_size=len(_RATE_NAMES)),
)
def test_any_rates_give_valid_records_and_exact_counts(seed: int, orders: int, day: date, shares: list[float]) -> None:
    rates = FaceRates(**dict(zip(_RATE_NAMES, shares, strict=True)))
    records = FaceBook(OrderBook(seed, orders), rates).records(day)
    for record in records:
        check(record)
    no_record = round(rates.face_no_record * orders)
    assert count(records, "face_no_record") == no_record
    assert count(records, "face_not_passed:") == min(round(rates.face_not_passed * orders), orders - no_record)
    assert count(records, "face_late:1") == min(round(rates.face_late * orders), orders - no_record)


def test_no_face_faults_means_every_record_passed_cleanly() -> None:
    rates = FaceRates(**dict.fromkeys(_RATE_NAMES, 0.0))
    records = FaceBook(OrderBook(orders_per_day=300), rates).records(DAY)
    assert all(record.outcome == "passed" and not record.injected for record in records)


@pytest.mark.parametrize(
    "bad",
    [
        {"face_late": -0.1},
        {"face_media_lag": 1.5},
        {"face_no_record": 0.6, "face_not_passed": 0.5},
        {"face_media_lag": 0.7, "face_media_missing": 0.4},
        {"face_low_similarity": 0.5, "face_low_liveness": 0.3, "face_liveness_only": 0.3},
    ],
)
def test_impossible_face_rates_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="FaceRates"):
        FaceRates(**bad)
