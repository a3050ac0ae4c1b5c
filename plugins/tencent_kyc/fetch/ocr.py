"""One order's ID-card OCR result as a staged record: query, keep the photos as evidence, or record the failure."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from tencent_kyc.api.results import OcrResult
from tencent_kyc.fetch.answers import ORDER_FAILURES, answered
from tencent_kyc.fetch.evidence import store_photos
from tencent_kyc.hooks.kyc import TencentKycHook
from tencent_kyc.records import Fetched, Order
from tencent_kyc.storage import DayLayout


def ocr_record(
    order: Order, result: OcrResult, photos: Mapping[str, str], fallbacks: Sequence[str], missing: Sequence[str]
) -> Fetched:
    """The staged record of an answered query, with its evidence locations."""
    return answered(
        order,
        result,
        photos=photos,
        photo_fallbacks=tuple(fallbacks),
        missing_photos=tuple(missing),
    )


def ocr_fetcher(hook: TencentKycHook, layout: DayLayout, *, get_file: bool) -> Callable[[Order], tuple[Fetched, int]]:
    """``fetch(order) -> (record, queries made)``: the order's OCR result, photos written to evidence."""

    def fetch(order: Order) -> tuple[Fetched, int]:
        try:
            result = hook.get_ocr_result(order.order_no, get_file=get_file)
        except ORDER_FAILURES as error:
            return Fetched.failure(order, error), 0
        if not get_file:
            return ocr_record(order, result, {}, (), ()), result.queries
        photos, fallbacks = store_photos(result, layout)
        return ocr_record(order, result, photos, fallbacks, result.missing_photos()), result.queries

    return fetch
