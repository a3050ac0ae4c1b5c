"""ID-card photos kept as evidence (存证): one JPEG object per photo, under the order's date and number.

The order number is the only way to get photos back from Tencent, and only for about 3 days, so every
photo returned is written out. An empty crop (Tencent: cropping can fail) points at the full photo of the
same side instead, and the record says so.

Photos are written straight through the path's filesystem with plain string paths: building an
``ObjectStoragePath`` per photo cost more CPU than the rest of a query (measured in bench/).
"""

from __future__ import annotations

from tencent_kyc.api.results import OcrResult
from tencent_kyc.storage import DayLayout, is_local, write_kwargs

CROP_FALLBACKS = {"frontCrop": "frontPhoto", "backCrop": "backPhoto"}


def store_photos(result: OcrResult, layout: DayLayout) -> tuple[dict[str, str], list[str]]:
    """Write the result's photos; returns {field: location} and the crops that fell back to full photos."""
    photos = {name: data for name, data in sorted(result.photos.items()) if data}
    locations: dict[str, str] = {}
    if photos:
        folder = layout.evidence_folder(result.order_no)
        fs, kwargs = folder.fs, write_kwargs(folder)
        if is_local(folder):
            fs.makedirs(folder.path, exist_ok=True)
        for name, data in photos.items():
            fs.pipe_file(f"{folder.path}/{name}.jpg", data, **kwargs)
            locations[name] = f"{folder}/{name}.jpg"
    fallbacks = []
    for crop, full in CROP_FALLBACKS.items():
        if crop in result.photos and crop not in locations and full in locations:
            locations[crop] = locations[full]
            fallbacks.append(crop)
    return locations, fallbacks
