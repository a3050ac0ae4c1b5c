"""Real, decodable JPEG photos for the five photo fields, cheap enough to serve thousands per second.

A few variants per field are drawn once (Pillow) and cached as base64; each order picks its variants
deterministically from its number.
"""

from __future__ import annotations

import base64
import hashlib
import io
from functools import cache

from PIL import Image, ImageDraw

from tencent_kyc.simulator.book import SyntheticOrder

PHOTO_FIELDS = ("frontPhoto", "backPhoto", "frontCrop", "backCrop", "headPhoto")
SIDE_OF = {"frontPhoto": "front", "frontCrop": "front", "headPhoto": "front", "backPhoto": "back", "backCrop": "back"}
VARIANTS = 8
_SIZES = {
    "frontPhoto": (640, 420),
    "backPhoto": (640, 420),
    "frontCrop": (540, 340),
    "backCrop": (540, 340),
    "headPhoto": (180, 220),
}


@cache
def _jpeg_base64(field: str, variant: int) -> str:
    width, height = _SIZES[field]
    shade = 200 + variant * 6
    image = Image.new("RGB", (width, height), (shade, shade - 10, 230 - variant * 8))
    draw = ImageDraw.Draw(image)
    if field == "headPhoto":
        draw.ellipse((40, 30, width - 40, height - 70), fill=(120 + variant * 10, 100, 90))
    else:
        draw.rounded_rectangle((10, 10, width - 10, height - 10), radius=24, outline=(90, 90, 160), width=4)
        for row in range(6):
            y = 50 + row * (height - 100) // 6
            draw.rectangle((40, y, 40 + (width // 2) - row * 20 - variant * 5, y + 12), fill=(60, 60, 60))
        if field.startswith("front"):
            draw.rectangle((width - 200, 60, width - 50, 250), fill=(150, 130, 120))
        else:
            draw.ellipse((40, 40, 140, 140), outline=(200, 30, 30), width=6)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=70)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def photo_base64(order: SyntheticOrder) -> dict[str, str]:
    """Base64 JPEG per photo field of the order's recognised sides; "" for an empty crop."""
    sides = {"front": order.result.get("frontCode") == "0", "back": order.result.get("backCode") == "0"}
    digest = hashlib.blake2b(order.order_no.encode(), digest_size=8).digest()
    photos = {}
    for number, field in enumerate(PHOTO_FIELDS):
        if sides[SIDE_OF[field]]:
            photos[field] = "" if field in order.empty_crops else _jpeg_base64(field, digest[number] % VARIANTS)
    return photos


def photos_for(order: SyntheticOrder) -> dict[str, bytes]:
    """The decoded photos of :func:`photo_base64` (what a client should end up with)."""
    return {field: base64.b64decode(value) for field, value in photo_base64(order).items()}
