"""ID-card photos kept as evidence (存证): one JPEG object per photo, under the order's date and number.

The order number is the only way to get photos back from Tencent, and only for about 3 days, so every
photo returned is written out. An empty crop (Tencent: cropping can fail) points at the full photo of the
same side instead, and the record says so.
"""

from __future__ import annotations

from tencent_kyc.api.results import OcrResult
from tencent_kyc.storage import DayLayout, write_bytes

CROP_FALLBACKS = {"frontCrop": "frontPhoto", "backCrop": "backPhoto"}


def store_photos(result: OcrResult, layout: DayLayout) -> tuple[dict[str, str], list[str]]:
    """Write the result's photos; returns {field: location} and the crops that fell back to full photos."""
    locations: dict[str, str] = {}
    for name, data in sorted(result.photos.items()):
        if data:
            path = layout.evidence(result.order_no, name)
            write_bytes(path, data)
            locations[name] = str(path)
    fallbacks = []
    for crop, full in CROP_FALLBACKS.items():
        if crop in result.photos and crop not in locations and full in locations:
            locations[crop] = locations[full]
            fallbacks.append(crop)
    return locations, fallbacks
