"""Simulated photos: real JPEGs, one set per recognised side, deterministic, and cheap to serve."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

import tencent_kyc_dev
from tencent_kyc_dev.simulator.orders import Completion, OrderBook, SyntheticOrder
from tencent_kyc_dev.simulator.photos import PHOTO_FIELDS, photos_for

DAY = date(2024, 6, 1)
SIDE_FIELDS = {"front": {"frontPhoto", "frontCrop", "headPhoto"}, "back": {"backPhoto", "backCrop"}}


@pytest.fixture(scope="module")
def orders() -> list[SyntheticOrder]:
    book = OrderBook(orders_per_day=2000)
    return [order for number in book.order_numbers(DAY) if (order := book.lookup(number))]


def _decode(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as image:
        image.verify()
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "JPEG"
    return image


def test_photo_fields() -> None:
    assert PHOTO_FIELDS == ("frontPhoto", "backPhoto", "frontCrop", "backCrop", "headPhoto")


def test_every_recognised_side_has_decodable_photos(orders: list[SyntheticOrder]) -> None:
    seen: set[Completion] = set()
    for order in orders:
        photos = photos_for(order)
        expected = set().union(*(SIDE_FIELDS[side] for side in order.completion.sides))
        assert set(photos) == expected
        for field, data in photos.items():
            assert (data == b"") == (field in order.empty_crops)
        seen.add(order.completion)
    assert seen == set(Completion)
    assert photos_for(next(order for order in orders if order.completion is Completion.NEVER)) == {}


def test_each_variant_is_a_sensible_jpeg(orders: list[SyntheticOrder]) -> None:
    variants = {data for order in orders for data in photos_for(order).values() if data}
    assert len(variants) > 20
    for data in variants:
        image = _decode(data)
        assert 1_000 < len(data) < 40_000
        assert image.mode == "RGB" and min(image.size) >= 100


def test_shapes_fit_the_fields(orders: list[SyntheticOrder]) -> None:
    order = next(o for o in orders if o.completion is Completion.BOTH_SIDES and not o.empty_crops)
    sizes = {field: _decode(data).size for field, data in photos_for(order).items()}
    assert sizes["frontCrop"] == sizes["backCrop"]
    assert 1.5 < sizes["frontCrop"][0] / sizes["frontCrop"][1] < 1.7  # an ID-1 card
    assert sizes["frontPhoto"][0] > sizes["frontCrop"][0] and sizes["frontPhoto"][1] > sizes["frontCrop"][1]
    assert sizes["headPhoto"][1] > sizes["headPhoto"][0]  # a portrait


def test_photos_are_deterministic_per_order(orders: list[SyntheticOrder]) -> None:
    again = OrderBook(orders_per_day=2000)
    for order in orders[:200]:
        twin = again.lookup(order.order_no)
        assert twin is not None and photos_for(twin) == photos_for(order)
    front = {photos_for(order).get("frontPhoto") for order in orders}
    assert len(front) > 4  # orders do not all look alike


_RENDER = """
import hashlib, sys
from tencent_kyc_dev.simulator import photos
order = [(field, variant) for field in photos.PHOTO_FIELDS + ("facePhoto",) for variant in range(8)]
for field, variant in order[:: int(sys.argv[1])]:
    photos._jpeg(field, variant)
print(hashlib.sha256(b"".join(photos._jpeg(field, variant) for field, variant in sorted(order))).hexdigest())
"""


def test_photos_are_the_same_bytes_in_every_process_whatever_was_rendered_first() -> None:
    """Two simulators (or a simulator and a test computing photos_for) must agree on every photo's bytes."""
    env = {**os.environ, "PYTHONPATH": str(Path(tencent_kyc_dev.__file__).resolve().parents[1])}
    digests = {
        subprocess.run(
            [sys.executable, "-c", _RENDER, step], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
        for step in ("1", "-1")
    }
    assert len(digests) == 1 and len(digests.pop()) == 64


def test_serving_photos_renders_nothing_once_every_variant_was_drawn(orders: list[SyntheticOrder]) -> None:
    """Cheap by construction, not by a stopwatch: photos are a few cached renderings, shared by every order."""
    from tencent_kyc_dev.simulator.photos import _jpeg

    book = OrderBook(orders_per_day=2000)
    for order in orders:
        photos_for(order)  # renders every variant once, as a running server soon would
    rendered = _jpeg.cache_info().misses
    for order in orders:
        served = book.lookup(order.order_no)
        assert served is not None
        assert photos_for(served) == photos_for(order)
    assert _jpeg.cache_info().misses == rendered
