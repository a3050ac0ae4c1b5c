"""Evidence (存证): the ID-card photos and the face photo and video, one object each, under the order's date and
number.

The order number is the only way to get photos back from Tencent, and only for about 3 days, so every
photo returned is written out. An empty crop (Tencent: cropping can fail) points at the full photo of the
same side instead, and the record says so.

Photos are written straight through the path's filesystem with plain string paths: building an
``ObjectStoragePath`` per photo cost more CPU than the rest of a query (measured in bench/).
"""

from __future__ import annotations

from collections.abc import Mapping

from tencent_kyc.api.results import OcrResult
from tencent_kyc.storage import DayLayout, is_local, write_kwargs

CROP_FALLBACKS = {"frontCrop": "frontPhoto", "backCrop": "backPhoto"}


def write_evidence(layout: DayLayout, order_no: str, files: Mapping[str, tuple[str, bytes]]) -> dict[str, str]:
    """Write an order's evidence files (``{field: (file name, bytes)}``, empty ones skipped) into its folder;
    returns ``{field: location}``."""
    locations: dict[str, str] = {}
    wanted = {name: (filename, data) for name, (filename, data) in sorted(files.items()) if data}
    if wanted:
        folder = layout.evidence_folder(order_no)
        fs, kwargs = folder.fs, write_kwargs(folder)
        if is_local(folder):
            fs.makedirs(folder.path, exist_ok=True)
        for name, (filename, data) in wanted.items():
            fs.pipe_file(f"{folder.path}/{filename}", data, **kwargs)
            locations[name] = f"{folder}/{filename}"
    return locations


def store_photos(result: OcrResult, layout: DayLayout) -> tuple[dict[str, str], list[str]]:
    """Write the result's photos; returns {field: location} and the crops that fell back to full photos."""
    files = {name: (f"{name}.jpg", data) for name, data in result.photos.items()}
    locations = write_evidence(layout, result.order_no, files)
    fallbacks = []
    for crop, full in CROP_FALLBACKS.items():
        if crop in result.photos and crop not in locations and full in locations:
            locations[crop] = locations[full]
            fallbacks.append(crop)
    return locations, fallbacks
