"""The simulator's face verification records (``queryfacerecord``): one per order number, deterministic, with
injected faults, and the photo and video Tencent would keep for them.

Every order of the order book (orders.py) also has a face verification outcome: one order namespace per
WBappid, as Tencent's OCR result page suggests. A record is a pure function of (seed, orders_per_day, rates,
day, index), independent of the order's OCR record, so an order can have either without the other (Tencent:
never infer one from the other). Faults are dealt as in the order book: keyed affine shuffles into consecutive
quota segments, so each hits exactly ``round(rate * orders_per_day)`` orders (fewer only if fewer orders can
carry it).

Labels in ``FaceRecord.injected`` (in this order; each describes the record as served):

- ``face_no_record`` — the user never finished the face flow: 66660011 and no ``result``, whatever the day.
- ``face_not_passed:<code>`` — a failed verification: 66660004 (not the same person), 66660010 (name and ID
  number do not match the authority's record), 66660015 (video or image abnormal) or 66660022 (identity not
  found). About half carry a ``result`` with the scores (a similarity on 66660004 only); none carries media.
- ``face_late:1`` — the flow completed the day after the order date (66660011 until then).
- ``face_media_lag`` — passed; photo and video are empty strings for ``photo_lag_seconds`` after the order's
  first face query.
- ``face_media_missing:photo`` / ``face_media_missing:video`` — passed, but Tencent left that medium out (the
  field is absent however long one waits).
- ``face_low_similarity`` — code 0 with a similarity of 70.00-79.99 (under the recommended 80).
- ``face_low_liveness`` — code 0 with a liveRate of 40-79.
- ``face_liveness_only`` — code 0 and no similarity (absent, or an empty string): a liveness-only flow.
- ``face_numeric_scores`` — ``liveRate`` and ``similarity`` are JSON numbers, not strings.
- ``face_extra_field`` — an undocumented ``oriCode`` field in ``result``.
- ``face_dash_time`` — ``occurredTime`` in the ``yyyy-MM-dd HH:mm:ss`` fallback format.

The last three (shape variants) fall on any record with a ``result``: passed, or not passed (those then always
carry one). Every other record passed: liveRate "90"-"100", similarity "80.00"-"100.00", occurredTime
``yyyyMMddHHmmss`` (Beijing time) on the completion day. Its photo is a camera frame of the face on the order's
ID card photos (photos.py); its video a small MP4 (``ftyp``, ``moov`` with an ``mvhd``, ``mdat``); both are
deterministic per order.
"""

from __future__ import annotations

import functools
import random
import struct
from collections import Counter
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta

from tencent_kyc_dev.simulator.orders import OrderBook, _Family, _Shuffle
from tencent_kyc_dev.simulator.people import keyed_rng
from tencent_kyc_dev.simulator.photos import face_photo

NO_RECORD = "66660011"
#: Not-passed codes and how often each comes (66660004, "not the same person", is the common one).
NOT_PASSED_CODES = ("66660004", "66660010", "66660015", "66660022")
_NOT_PASSED_WEIGHTS = (5, 2, 2, 1)
SDK_VERSIONS = ("1.12.12", "1.12.10", "1.11.6", "1.10.2")
MEDIA = ("photo", "video")
OUTCOMES = ("passed", "not_passed", "no_record")
_SHAPES = ("face_numeric_scores", "face_extra_field", "face_dash_time")


@dataclass(frozen=True)
class FaceRates:
    """Fractions of a day's orders carrying each face fault (labels in the module docstring). The names start
    with ``face_``: they share the ``order_rates`` knob with the OCR records' :class:`~.orders.FaultRates`."""

    face_no_record: float = 0.03
    face_not_passed: float = 0.04
    face_late: float = 0.02
    face_media_lag: float = 0.05
    face_media_missing: float = 0.01
    face_low_similarity: float = 0.01
    face_low_liveness: float = 0.01
    face_liveness_only: float = 0.02
    face_numeric_scores: float = 0.02
    face_extra_field: float = 0.02
    face_dash_time: float = 0.02

    def __post_init__(self) -> None:
        for spec in fields(self):
            if not 0.0 <= getattr(self, spec.name) <= 1.0:
                raise ValueError(f"FaceRates.{spec.name} must be between 0 and 1")
        exclusive = {
            "face_no_record + face_not_passed": self.face_no_record + self.face_not_passed,
            "face_media_lag + face_media_missing": self.face_media_lag + self.face_media_missing,
            "face_low_similarity + face_low_liveness + face_liveness_only": (
                self.face_low_similarity + self.face_low_liveness + self.face_liveness_only
            ),
        }
        for names, total in exclusive.items():
            if total > 1.0:
                raise ValueError(f"FaceRates: {names} exceed 1")


@dataclass(frozen=True)
class FaceRecord:
    """One order's face verification as served; each answer adds ``appId``, ``bizSeqNo``, the media and the
    SDK fields to ``result``."""

    order_no: str
    order_date: date
    #: "0" passed, one of NOT_PASSED_CODES, or NO_RECORD for a flow never finished.
    code: str
    #: The day the record appears (66660011 before it); None when it never does.
    completes_on: date | None
    #: ``orderNo``, ``liveRate``, ``similarity``, ``occurredTime`` (and ``oriCode``) as text; None: no ``result``.
    result: dict[str, str] | None
    #: The media Tencent keeps for it: both for a passed record (less a missing one), none otherwise.
    media: tuple[str, ...]
    media_lag: bool
    numeric_scores: bool
    #: What ``queryVersion`` "1.0" adds: ``sdkVersion``, and ``trtcFlag`` "Y" when ``trtc`` (absent otherwise).
    sdk_version: str
    trtc: bool
    injected: tuple[str, ...]

    @property
    def outcome(self) -> str:
        """The verdict, whatever the day: ``passed``, ``not_passed`` or ``no_record``."""
        return "passed" if self.code == "0" else "no_record" if self.code == NO_RECORD else "not_passed"


def face_video(order_no: str) -> bytes:
    """The order's session video: a small MP4 of ``ftyp``, ``moov`` (an ``mvhd``) and 2-6 KiB of ``mdat``."""
    rng = random.Random(f"face-video|{order_no}")  # str seeds hash with SHA-512: the same in every process
    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    header = struct.pack(">IIIII", 0, 0, 0, 1000, rng.randint(2500, 6000))  # version+flags, times, timescale, ms
    mvhd = header + struct.pack(">IH", 0x10000, 0x100) + bytes(10) + matrix + bytes(24) + struct.pack(">I", 2)
    ftyp = b"isom" + struct.pack(">I", 0x200) + b"isomiso2avc1mp41"
    mdat = rng.randbytes(rng.randint(2048, 6144))
    return _box(b"ftyp", ftyp) + _box(b"moov", _box(b"mvhd", mvhd)) + _box(b"mdat", mdat)


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def media_for(record: FaceRecord, wanted: tuple[str, ...] = MEDIA) -> dict[str, bytes]:
    """The bytes of each ``wanted`` medium the record has (``photo`` a JPEG, ``video`` an MP4), lag aside."""
    render = {"photo": face_photo, "video": face_video}
    return {name: render[name](record.order_no) for name in record.media if name in wanted}


# --- Where each day's faults fall --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _FacePlan:
    """Orders sit at ``outcome.rank(index)``, laid out as [no record | not passed | passed]."""

    outcome: _Shuffle
    no_record: int
    not_passed: int
    families: dict[str, _Family]


@functools.lru_cache(maxsize=64)
def _plan(seed: int, orders: int, rates: FaceRates, day: date) -> _FacePlan:
    rng = keyed_rng(seed, day, -1, f"face-plan|{orders}")

    def quota(rate: float) -> int:
        return round(rate * orders)

    no_record = quota(rates.face_no_record)
    not_passed = min(quota(rates.face_not_passed), orders - no_record)
    passed = no_record + not_passed
    ranges = {"recorded": (no_record, orders - no_record), "passed": (passed, orders - passed)}
    # A family's faults exclude each other: each takes the ranks up to its cumulative share (as in orders.py).
    r = rates
    low_similarity, low_liveness = r.face_low_similarity, r.face_low_similarity + r.face_low_liveness
    layout = {
        "late": ("recorded", {"face_late": r.face_late}),
        "media": (
            "passed",
            {"face_media_lag": r.face_media_lag, "face_media_missing": r.face_media_lag + r.face_media_missing},
        ),
        "scores": (
            "passed",
            {
                "face_low_similarity": low_similarity,
                "face_low_liveness": low_liveness,
                "face_liveness_only": low_liveness + r.face_liveness_only,
            },
        ),
        **{shape: ("recorded", {shape: getattr(r, shape)}) for shape in _SHAPES},
    }
    families = {
        family: _Family(_Shuffle.keyed(rng, *ranges[scope]), tuple(ends), tuple(quota(end) for end in ends.values()))
        for family, (scope, ends) in layout.items()
    }
    return _FacePlan(_Shuffle.keyed(rng, 0, orders), no_record, not_passed, families)


# --- Records -------------------------------------------------------------------------------------------------------


def _two_decimals(hundredths: int) -> str:
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def _generate(seed: int, orders: int, rates: FaceRates, day: date, index: int, order_no: str) -> FaceRecord:
    plan = _plan(seed, orders, rates, day)
    position = plan.outcome.rank(index)
    assert position is not None
    rng = keyed_rng(seed, day, index, "face")
    sdk_version, trtc = rng.choice(SDK_VERSIONS), rng.random() < 0.3
    if position < plan.no_record:
        no_record = ("face_no_record",)
        return FaceRecord(order_no, day, NO_RECORD, None, None, (), False, False, sdk_version, trtc, no_record)
    fault = {family: spec.pick(position) for family, spec in plan.families.items()}
    passed = position >= plan.no_record + plan.not_passed
    code = "0" if passed else rng.choices(NOT_PASSED_CODES, weights=_NOT_PASSED_WEIGHTS)[0]
    labels = [] if passed else [f"face_not_passed:{code}"]

    completes_on = day
    if fault["late"]:
        completes_on += timedelta(days=1)
        labels.append("face_late:1")
    media: tuple[str, ...] = MEDIA if passed else ()
    if fault["media"] == "face_media_missing":
        gone = rng.choice(MEDIA)
        media = tuple(name for name in MEDIA if name != gone)
        labels.append(f"face_media_missing:{gone}")
    elif fault["media"]:
        labels.append("face_media_lag")

    live_rate = int(rng.triangular(90, 100.999, 99))
    similarity: str | None = _two_decimals(int(rng.triangular(8000, 10000, 9300)))
    if not passed:
        live_rate = rng.randint(60, 100)
        similarity = _two_decimals(rng.randint(3000, 6999)) if code == "66660004" else None
    elif fault["scores"] == "face_low_similarity":
        similarity = _two_decimals(rng.randint(7000, 7999))
    elif fault["scores"] == "face_low_liveness":
        live_rate = rng.randint(40, 79)
    elif fault["scores"] == "face_liveness_only":
        similarity = rng.choice((None, ""))
    if fault["scores"]:
        labels.append(fault["scores"])
    shapes = [shape for shape in _SHAPES if fault[shape]]
    labels += shapes

    occurred = datetime.combine(completes_on, datetime.min.time()) + timedelta(
        seconds=int(rng.triangular(0, 86_399, 15 * 3600))
    )
    result: dict[str, str] | None = None
    if passed or shapes or rng.random() < 0.5:
        result = {"orderNo": order_no, "liveRate": str(live_rate)}
        if similarity is not None:
            result["similarity"] = similarity
        layout = "%Y-%m-%d %H:%M:%S" if "face_dash_time" in shapes else "%Y%m%d%H%M%S"
        result["occurredTime"] = occurred.strftime(layout)
        if "face_extra_field" in shapes:
            result["oriCode"] = code
    return FaceRecord(
        order_no,
        day,
        code,
        completes_on,
        result,
        media,
        fault["media"] == "face_media_lag",
        "face_numeric_scores" in shapes,
        sdk_version,
        trtc,
        tuple(labels),
    )


class FaceBook:
    """The face record of every order of one :class:`~.orders.OrderBook`. Holds no per-order state."""

    def __init__(self, book: OrderBook, rates: FaceRates = FaceRates()) -> None:
        self.book = book
        self.rates = rates

    def lookup(self, order_no: str) -> FaceRecord | None:
        """The face record of ``order_no``, or None for any number the order book did not issue."""
        found = self.book.locate(order_no)
        if found is None:
            return None
        return _generate(self.book.seed, self.book.orders_per_day, self.rates, *found, order_no)

    def records(self, day: date) -> list[FaceRecord]:
        """The face records of the day's orders, in order-number order."""
        seed, orders = self.book.seed, self.book.orders_per_day
        numbers = self.book.order_numbers(day)
        return [_generate(seed, orders, self.rates, day, index, order_no) for index, order_no in enumerate(numbers)]

    def injected_counts(self, day: date) -> dict[str, int]:
        """Label → number of the day's face records carrying it."""
        return dict(Counter(label for record in self.records(day) for label in record.injected))
