"""One order's face verification as a staged record: query, keep the photo and video as evidence, or record the
failure.

The face photo is usually a JPEG (sometimes a PNG) and the video an MP4; each is written under the order's
evidence folder (``face.jpg`` / ``face.png``, ``face.mp4``), beside the ID-card photos of the same order and
date, so the two syncs never write the same object.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping

from tencent_kyc.api.face import FaceResult, wanted_media
from tencent_kyc.fetch.answers import ORDER_FAILURES, answered
from tencent_kyc.fetch.evidence import write_evidence
from tencent_kyc.hooks.kyc import TencentKycHook
from tencent_kyc.records import Fetched, Order
from tencent_kyc.storage import DayLayout

_PNG = b"\x89PNG\r\n\x1a\n"


def media_files(result: FaceResult) -> dict[str, tuple[str, bytes]]:
    """The record's media as evidence files: ``{field: (file name, bytes)}``."""
    photo, video = result.media.get("photo", b""), result.media.get("video", b"")
    photo_name = "face.png" if photo.startswith(_PNG) else "face.jpg"
    return {"photo": (photo_name, photo), "video": ("face.mp4", video)}


def face_record(
    order: Order,
    result: FaceResult,
    files: Mapping[str, tuple[str, bytes]],
    media: dict[str, str],
    wanted: tuple[str, ...],
) -> Fetched:
    """The staged record of an answered face query, with its evidence locations and their SHA-256 (the biometric
    bytes themselves stay in evidence storage)."""
    return answered(
        order,
        result,
        photos=media,
        missing_photos=result.missing_media(wanted),
        digests={name: hashlib.sha256(files[name][1]).hexdigest() for name in media},
    )


def face_fetcher(hook: TencentKycHook, layout: DayLayout, *, media: str) -> Callable[[Order], tuple[Fetched, int]]:
    """``fetch(order) -> (record, queries made)``: the order's face record, media written to evidence."""
    wanted = wanted_media(media)

    def fetch(order: Order) -> tuple[Fetched, int]:
        try:
            result = hook.query_face_record(order.order_no, media=media)
        except ORDER_FAILURES as error:
            return Fetched.failure(order, error), 0
        files = media_files(result) if wanted else {}
        stored = write_evidence(layout, order.order_no, files)
        return face_record(order, result, files, stored, wanted), result.queries

    return fetch
