"""Validation of staged face verification records (queryfacerecord): pure rules, no Airflow, no I/O.

Tencent decides "same person and live" itself (``code`` "0") with its own threshold; a partner may ask more.
The rules below read the record tolerantly (scores as text or numbers, absent or garbage as findings, never
exceptions) and :class:`FacePolicy` says which findings reject. Codes are stable:

=========================  ===============================================================================
Code                       Meaning
=========================  ===============================================================================
face.not_passed            Tencent's verdict is not a pass (the record's code says why, e.g. 66660004 not
                           the same person, 66660010 name and ID number do not match the authority's)
face.similarity_missing    a passed record carries no similarity (a liveness-only flow: nothing was compared
                           with the ID photo), or it is not a number from 0 to 100
face.similarity_low        the similarity is below ``FacePolicy.similarity_threshold`` (Tencent's
                           recommendation: 80, about one false accept in 10,000; 70 is about one in 1,000)
face.liveness_missing      the liveness score (liveRate) is missing or not a number from 0 to 100
face.liveness_low          the liveness score is below ``FacePolicy.live_rate_threshold``
face.time_invalid          occurredTime is missing or not a time Tencent writes
face.media_missing         a photo or video asked for never came (Tencent sometimes leaves them out)
=========================  ===============================================================================
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar

from tencent_kyc.api.face import FaceOutcome, occurred_at, score
from tencent_kyc.validation.policy import RejectPolicy, Threshold
from tencent_kyc.validation.rules import Finding

#: The outcomes with a record to judge (no record and failures are counted, not judged).
CHECKED_FACE_OUTCOMES = frozenset({FaceOutcome.PASSED.value, FaceOutcome.NOT_PASSED.value})

FACE_CODES: Mapping[str, str] = MappingProxyType(
    {
        "face.not_passed": "Tencent's verdict is not a pass (the record's code says why)",
        "face.similarity_missing": "a passed record has no similarity from 0 to 100 (nothing was compared)",
        "face.similarity_low": "the similarity is below the policy's similarity_threshold",
        "face.liveness_missing": "the liveness score is missing or not a number from 0 to 100",
        "face.liveness_low": "the liveness score is below the policy's live_rate_threshold",
        "face.time_invalid": "occurredTime is missing or not a time Tencent writes",
        "face.media_missing": "a photo or video asked for never came",
    }
)
SIMILARITY = Threshold(80)
LIVE_RATE = Threshold(60)


@dataclass(frozen=True)
class FacePolicy(RejectPolicy):
    """The face policy: rejecting patterns of :data:`FACE_CODES`, and the two score thresholds."""

    similarity_threshold: float = SIMILARITY.default
    live_rate_threshold: float = LIVE_RATE.default
    codes: ClassVar[Mapping[str, str]] = FACE_CODES
    thresholds: ClassVar[Mapping[str, Threshold]] = MappingProxyType(
        {"similarity_threshold": SIMILARITY, "live_rate_threshold": LIVE_RATE}
    )


#: Reject what cannot be a verified face: Tencent's own "not passed", a pass without a comparison (a
#: liveness-only flow), and a similarity under the recommended threshold. Annotate the rest: Tencent passed the
#: liveness itself and documents no liveRate threshold, and a missing medium or time does not change the verdict.
DEFAULT_FACE_POLICY = FacePolicy(reject=("face.not_passed", "face.similarity_missing", "face.similarity_low"))


def _finding(code: str) -> Finding:
    return Finding(code, FACE_CODES[code])


def _percent(value: Any) -> float | None:
    number = score(value)
    return number if number is not None and 0 <= number <= 100 else None


def check_face(
    outcome: str, result: Mapping[str, Any], missing_media: tuple[str, ...], policy: FacePolicy
) -> list[Finding]:
    """Every rule a face record breaks; none for a record without one to judge (no record, failed)."""
    return list(_findings(outcome, result, missing_media, policy)) if outcome in CHECKED_FACE_OUTCOMES else []


def _findings(
    outcome: str, result: Mapping[str, Any], missing_media: tuple[str, ...], policy: FacePolicy
) -> Iterator[Finding]:
    if outcome != FaceOutcome.PASSED.value:
        yield _finding("face.not_passed")
        return
    similarity, live_rate = _percent(result.get("similarity")), _percent(result.get("liveRate"))
    if similarity is None:
        yield _finding("face.similarity_missing")
    elif similarity < policy.similarity_threshold:
        yield _finding("face.similarity_low")
    if live_rate is None:
        yield _finding("face.liveness_missing")
    elif live_rate < policy.live_rate_threshold:
        yield _finding("face.liveness_low")
    if occurred_at(result.get("occurredTime")) is None:
        yield _finding("face.time_invalid")
    if missing_media:
        yield _finding("face.media_missing")
