"""The typed getOcrResult answer: envelope, per-side status, card fields, photos.

Tencent says its responses must not be checked strictly, numbers arrive as strings or ints, and
``success`` is meaningless; so every value is kept, normalised to ``str``, and unknown fields survive in
``fields``. Personal data stays out of ``repr`` so a stray log line or traceback cannot print it.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tencent_kyc.api.errors import NO_RESULT_CODES, KycTransientError

FRONT_PHOTOS = ("frontPhoto", "frontCrop", "headPhoto")
BACK_PHOTOS = ("backPhoto", "backCrop")
PHOTO_FIELDS = FRONT_PHOTOS + BACK_PHOTOS
#: Crops may legitimately be empty (Tencent: use the full photo instead); the others lag ~1 s at most.
REQUIRED_PHOTOS = {"front": ("frontPhoto", "headPhoto"), "back": ("backPhoto",)}
_IGNORED = frozenset({"success"})


class Outcome(enum.Enum):
    """What a query said about an order."""

    FETCHED = "fetched"
    FRONT_ONLY = "front_only"
    BACK_ONLY = "back_only"
    NOT_RECOGNISED = "not_recognised"
    NO_RESULT = "no_result"


def text_value(value: Any) -> str | None:
    """Tencent sends numbers as strings or ints, and nulls sometimes: normalise to ``str`` (an object or a list as
    its JSON text, not Python's repr of it)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def decode_media(endpoint: str, name: str, value: Any) -> bytes:
    """A Base64 media field's bytes (empty when absent or empty); a garbled one is a transient error."""
    if not value:
        return b""
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise KycTransientError(f"{endpoint}: media field {name} is not valid base64") from None


def split_result(
    endpoint: str, envelope: Mapping[str, Any], media_fields: tuple[str, ...]
) -> tuple[dict[str, str], dict[str, bytes]]:
    """An answer's ``result`` object as its text fields (every one, unknown ones kept) and its decoded media."""
    result = envelope.get("result")
    result = result if isinstance(result, Mapping) else {}
    fields = {
        key: text
        for key, value in result.items()
        if key not in media_fields and key not in _IGNORED and (text := text_value(value)) is not None
    }
    media = {name: decode_media(endpoint, name, result.get(name)) for name in media_fields if name in result}
    return fields, media


@dataclass(frozen=True, repr=False)
class OcrResult:
    """One order's answer. ``fields`` holds every ``result`` field (photos excepted) as text."""

    order_no: str
    code: str
    message: str
    biz_seq_no: str | None = None
    transaction_time: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    photos: Mapping[str, bytes] = field(default_factory=dict)
    queries: int = 1

    @classmethod
    def from_envelope(cls, order_no: str, envelope: Mapping[str, Any], *, queries: int = 1) -> OcrResult:
        """Build from the decoded JSON body; the top-level ``code`` was already checked by the client."""
        fields, photos = split_result("getOcrResult", envelope, PHOTO_FIELDS)
        return cls(
            order_no=order_no,
            code=text_value(envelope.get("code")) or "",
            message=text_value(envelope.get("msg")) or "",
            biz_seq_no=text_value(envelope.get("bizSeqNo")),
            transaction_time=text_value(envelope.get("transactionTime")),
            fields=fields,
            photos=photos,
            queries=queries,
        )

    def with_queries(self, queries: int) -> OcrResult:
        """The same answer, counting the queries it took (media re-queries included)."""
        return replace(self, queries=queries)

    @property
    def front_recognised(self) -> bool:
        return self.fields.get("frontCode") == "0"

    @property
    def back_recognised(self) -> bool:
        return self.fields.get("backCode") == "0"

    @property
    def outcome(self) -> Outcome:
        if self.code in NO_RESULT_CODES:
            return Outcome.NO_RESULT
        if self.front_recognised and self.back_recognised:
            return Outcome.FETCHED
        if self.front_recognised:
            return Outcome.FRONT_ONLY
        if self.back_recognised:
            return Outcome.BACK_ONLY
        return Outcome.NOT_RECOGNISED

    def missing_photos(self) -> tuple[str, ...]:
        """Required photos of the recognised sides that are still empty (Tencent's ~1 s photo lag)."""
        sides = [side for side, ok in (("front", self.front_recognised), ("back", self.back_recognised)) if ok]
        return tuple(name for side in sides for name in REQUIRED_PHOTOS[side] if not self.photos.get(name))

    def __repr__(self) -> str:
        photos = sorted(name for name, data in self.photos.items() if data)
        return (
            f"OcrResult(order_no={self.order_no!r}, code={self.code!r}, outcome={self.outcome.value}, "
            f"frontCode={self.fields.get('frontCode')!r}, backCode={self.fields.get('backCode')!r}, "
            f"photos={photos}, queries={self.queries})"
        )

    __str__ = __repr__
