"""Card-like, decodable JPEGs for the simulator's photo fields.

Encoding a JPEG takes milliseconds while the server answers thousands of queries a second, so each side has a
small pool of variants, rendered once on first use, and an order picks its variant from a hash of its number.
Within a variant the photo, crop and head photo show the same card, as Tencent's would; the face verification's
photo (:func:`face_photo`) shows the face of the same variant, as a phone's front camera saw it.
"""

from __future__ import annotations

import functools
import hashlib
import io
import random
from collections.abc import Callable

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from tencent_kyc_dev.simulator.orders import SyntheticOrder

PHOTO_FIELDS = ("frontPhoto", "backPhoto", "frontCrop", "backCrop", "headPhoto")
_SIDE_OF = {"frontPhoto": "front", "frontCrop": "front", "headPhoto": "front", "backPhoto": "back", "backCrop": "back"}
_VARIANTS = 8
_CARD_SIZE = (428, 270)  # ID-1 format, 85.6 × 54 mm
_PHOTO_SIZE = (640, 480)
_HEAD_SIZE = (102, 126)
_HEAD_BACKGROUND = (238, 242, 246)
_SELFIE_SIZE = (360, 480)  # a portrait frame of the front camera
_BAR_COLOUR = (70, 74, 84)
_LABEL_COLOUR = (96, 128, 168)


def _variants(order_no: str) -> dict[str, int]:
    digest = hashlib.blake2b(order_no.encode(), digest_size=2).digest()
    return {"front": digest[0] % _VARIANTS, "back": digest[1] % _VARIANTS}


def photos_for(order: SyntheticOrder) -> dict[str, bytes]:
    """JPEG bytes per photo field of the order's recognised sides; ``b""`` for a crop that failed."""
    variant = _variants(order.order_no)
    return {
        field: b"" if field in order.empty_crops else _jpeg(field, variant[_SIDE_OF[field]])
        for field in PHOTO_FIELDS
        if _SIDE_OF[field] in order.completion.sides
    }


def face_photo(order_no: str) -> bytes:
    """The JPEG frame of the order's face verification: the face of its ID card photos, in front of a wall."""
    return _jpeg("facePhoto", _variants(order_no)["front"])


@functools.cache
def _jpeg(field: str, variant: int) -> bytes:
    buffer = io.BytesIO()
    _RENDERERS[field](variant).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _rng(kind: str, variant: int) -> random.Random:
    return random.Random(f"{kind}|{variant}")  # str seeds hash with SHA-512: the same in every process


def _text_bars(draw: ImageDraw.ImageDraw, rng: random.Random, x: int, y: int, lines: int, width: int) -> None:
    """Label/value bar pairs standing in for printed text (no fonts needed, nothing personal)."""
    for line in range(lines):
        top = y + line * 30
        draw.rectangle((x, top, x + 34, top + 10), fill=_LABEL_COLOUR)
        draw.rectangle((x + 44, top, x + 44 + rng.randint(width // 3, width), top + 12), fill=_BAR_COLOUR)


def _head(variant: int) -> Image.Image:
    rng = _rng("head", variant)
    image = Image.new("RGB", _HEAD_SIZE, _HEAD_BACKGROUND)
    draw = ImageDraw.Draw(image)
    skin = rng.choice(((236, 200, 170), (224, 184, 150), (200, 160, 125)))
    draw.ellipse((6, 92, 96, 170), fill=rng.choice(((40, 44, 60), (70, 40, 40), (30, 60, 90))))  # shoulders
    draw.rectangle((42, 76, 60, 98), fill=skin)  # neck
    draw.ellipse((26, 22, 76, 86), fill=skin)  # face
    draw.chord((22, 12, 80, 60), 180, 360, fill=(30, 26, 24))  # hair
    return image


def _selfie(variant: int) -> Image.Image:
    """The head of :func:`_head`, three times larger, low in a portrait frame before a wall with sensor noise
    (drawn from a seeded RNG, not Pillow's noise effect, so that the bytes are the same in every process)."""
    rng = _rng("selfie", variant)
    shade = rng.randint(170, 225)
    frame = Image.new("RGB", _SELFIE_SIZE, (shade, shade - rng.randint(0, 16), shade - rng.randint(8, 36)))
    grain = Image.frombytes("L", _SELFIE_SIZE, rng.randbytes(_SELFIE_SIZE[0] * _SELFIE_SIZE[1])).convert("RGB")
    frame = Image.blend(frame, grain, 0.06)
    head = _head(variant)
    mask = ImageChops.difference(head, Image.new("RGB", _HEAD_SIZE, _HEAD_BACKGROUND)).convert("L")
    size = (_HEAD_SIZE[0] * 3, _HEAD_SIZE[1] * 3)
    head, mask = head.resize(size, Image.Resampling.BICUBIC), mask.point(lambda v: 255 if v else 0).resize(size)
    frame.paste(head, ((_SELFIE_SIZE[0] - size[0]) // 2 + rng.randint(-24, 24), _SELFIE_SIZE[1] - size[1]), mask)
    return frame.filter(ImageFilter.GaussianBlur(0.8))


def _card(rng: random.Random) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    """A blank card: pale tint with a faint guilloche of rings."""
    tint = rng.randint(0, 14)
    image = Image.new("RGB", _CARD_SIZE, (228 - tint, 236, 238 - tint // 2))
    draw = ImageDraw.Draw(image)
    cx, cy = rng.randint(120, 300), rng.randint(80, 190)
    for radius in range(30, 260, 18):
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline=(210 - tint, 224, 226 - tint))
    return image, draw


def _front_card(variant: int) -> Image.Image:
    rng = _rng("front", variant)
    image, draw = _card(rng)
    _text_bars(draw, rng, 24, 28, 5, 150)
    image.paste(_head(variant), (300, 36))
    draw.rectangle((24, 214, 84, 226), fill=_LABEL_COLOUR)
    draw.rectangle((130, 212, 404, 228), fill=_BAR_COLOUR)  # the ID number
    return image


def _back_card(variant: int) -> Image.Image:
    rng = _rng("back", variant)
    image, draw = _card(rng)
    draw.ellipse((28, 22, 104, 98), fill=(200, 30, 36))  # the emblem
    star = [(66, 36), (74, 56), (96, 56), (78, 68), (85, 90), (66, 76), (47, 90), (54, 68), (36, 56), (58, 56)]
    draw.polygon(star, fill=(250, 206, 40))
    draw.rectangle((140, 40, 390, 60), fill=(40, 44, 52))  # 中华人民共和国
    draw.rectangle((170, 76, 360, 96), fill=(40, 44, 52))  # 居民身份证
    _text_bars(draw, rng, 60, 190, 2, 230)
    return image


def _grain(rng: random.Random, size: tuple[int, int], sigma: float) -> Image.Image:
    """Grey noise around mid-grey with a spread of about ``sigma``, from a seeded RNG. Pillow's ``effect_noise``
    draws from the process's C ``rand()``, so its bytes would depend on what the process rendered before."""
    scale = sigma / 73.9  # the standard deviation of a uniform byte
    noise = Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))
    return noise.point(lambda value: round(128 + (value - 128) * scale)).convert("RGB")


def _photograph(card: Image.Image, variant: int) -> Image.Image:
    """The card as a phone camera saw it: tilted, off-centre, on a slightly noisy desk."""
    rng = _rng("photo", variant)
    shade = rng.randint(90, 150)
    desk = Image.new("RGB", _PHOTO_SIZE, (shade, shade - 12, shade - 28))
    desk = Image.blend(desk, _grain(rng, _PHOTO_SIZE, 10), 0.12).filter(ImageFilter.GaussianBlur(1))
    tilted = card.convert("RGBA").rotate(rng.uniform(-7, 7), resample=Image.Resampling.BICUBIC, expand=True)
    left = (_PHOTO_SIZE[0] - tilted.width) // 2 + rng.randint(-40, 40)
    top = (_PHOTO_SIZE[1] - tilted.height) // 2 + rng.randint(-30, 30)
    desk.paste(tilted, (left, top), tilted)
    return desk


_RENDERERS: dict[str, Callable[[int], Image.Image]] = {
    "frontPhoto": lambda variant: _photograph(_front_card(variant), variant),
    "frontCrop": _front_card,
    "headPhoto": _head,
    "backPhoto": lambda variant: _photograph(_back_card(variant), variant),
    "backCrop": _back_card,
    "facePhoto": _selfie,
}
