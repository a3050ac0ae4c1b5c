"""The typed ``queryfacerecord`` answer: the verdict, the scores, when it happened, the photo and the video.

Tencent asks partners not to check the response strictly: scores arrive as strings ("99", "88.01") or
numbers, an empty string means absent, fields may be added. So every result field is kept as text in
``fields`` (unknown ones included), and the typed accessors read them tolerantly. ``code`` "0" means the face
matched and was live (Tencent applies its threshold first); 66660011 means there is no record (the user quit,
risk control, the 3-day retention passed, an unknown order); any other code is a definitive "not passed".
Biometric data (photo, video) never reaches ``repr``.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from tencent_kyc.api.results import split_result, text_value

#: The face record's "no record" code: an outcome, not an error.
NO_RECORD = "66660011"
#: ``getFile`` per media choice; "none" sends no ``getFile``.
GET_FILE = {"both": "1", "photo": "2", "video": "3"}
MEDIA_CHOICES = ("none", "photo", "video", "both")
MEDIA_FIELDS = ("photo", "video")
BEIJING = timezone(timedelta(hours=8))
#: A number as decimal text writes it (JSON's syntax, with a sign or a bare point tolerated).
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_TIME_FORMATS = ("%Y%m%d%H%M%S", "%Y-%m-%d %H:%M:%S")
#: Exactly the digits those formats write: strptime alone reads a truncated "202611241047" as 10:04:07.
_TIME_SHAPE = re.compile(r"[0-9]{14}|[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")


class FaceOutcome(enum.Enum):
    """What a face query said about an order."""

    PASSED = "passed"
    NOT_PASSED = "not_passed"
    NO_RECORD = "no_record"


def wanted_media(media: str) -> tuple[str, ...]:
    """The media fields a ``face_media`` choice asks for."""
    return {"none": (), "photo": ("photo",), "video": ("video",), "both": MEDIA_FIELDS}[media]


def score(value: Any) -> float | None:
    """A 0-100 score sent as text or a number; None when absent, empty or not a finite number."""
    if value is None or isinstance(value, bool) or value == "":
        return None
    if isinstance(value, str) and not _DECIMAL.fullmatch(value.strip()):
        return None  # float() would also read "9_9" and non-ASCII digits
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def occurred_at(value: Any) -> str | None:
    """``occurredTime`` (``yyyyMMddHHmmss``, or ``yyyy-MM-dd HH:mm:ss``; Beijing time) as ISO 8601 with its offset."""
    text = str(value)
    if not _TIME_SHAPE.fullmatch(text):
        return None
    for layout in _TIME_FORMATS:
        try:
            return datetime.strptime(text, layout).replace(tzinfo=BEIJING).isoformat()
        except ValueError:
            continue
    return None


@dataclass(frozen=True, repr=False)
class FaceResult:
    """One order's face record. ``fields`` holds every ``result`` field (media excepted) as text."""

    order_no: str
    code: str
    message: str
    fields: Mapping[str, str] = field(default_factory=dict)
    media: Mapping[str, bytes] = field(default_factory=dict)
    queries: int = 1

    @classmethod
    def from_envelope(cls, order_no: str, envelope: Mapping[str, Any]) -> FaceResult:
        """Build from the decoded JSON body (any code: the client has kept only answers about the order)."""
        fields, media = split_result("queryfacerecord", envelope, MEDIA_FIELDS)
        code = text_value(envelope.get("code")) or ""
        return cls(order_no, code, text_value(envelope.get("msg")) or "", fields, media)

    def with_queries(self, queries: int) -> FaceResult:
        return replace(self, queries=queries)

    @property
    def outcome(self) -> FaceOutcome:
        if self.code == "0":
            return FaceOutcome.PASSED
        return FaceOutcome.NO_RECORD if self.code == NO_RECORD else FaceOutcome.NOT_PASSED

    @property
    def similarity(self) -> float | None:
        return score(self.fields.get("similarity"))

    @property
    def live_rate(self) -> float | None:
        return score(self.fields.get("liveRate"))

    @property
    def occurred_at(self) -> str | None:
        return occurred_at(self.fields.get("occurredTime"))

    def missing_media(self, wanted: tuple[str, ...]) -> tuple[str, ...]:
        """Media asked for but still empty; only a passed record is sure to have them (Tencent leaves them out
        of some failed ones), and they may lag the result by a second or two."""
        if self.outcome is not FaceOutcome.PASSED:
            return ()
        return tuple(name for name in wanted if not self.media.get(name))

    def __repr__(self) -> str:
        media = sorted(name for name, data in self.media.items() if data)
        return (
            f"FaceResult(order_no={self.order_no!r}, code={self.code!r}, outcome={self.outcome.value}, "
            f"similarity={self.similarity}, live_rate={self.live_rate}, media={media}, queries={self.queries})"
        )

    __str__ = __repr__
