"""How each sync fetches one order, by sync name: one module and one registration line per sync."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tencent_kyc.fetch.face import face_fetcher
from tencent_kyc.fetch.ocr import ocr_fetcher
from tencent_kyc.fetch.shard import FetchOne
from tencent_kyc.hooks.kyc import TencentKycHook
from tencent_kyc.registry import Registry
from tencent_kyc.storage import DayLayout


@dataclass(frozen=True)
class Evidence:
    """What evidence a fetch keeps: the ID-card photos (``get_file``), the face media (``face_media``)."""

    get_file: bool = True
    face_media: str = "none"


FETCHERS: Registry[Callable[[TencentKycHook, DayLayout, Evidence], FetchOne]] = Registry(
    "sync",
    {
        "ocr": lambda hook, layout, evidence: ocr_fetcher(hook, layout, get_file=evidence.get_file),
        "face": lambda hook, layout, evidence: face_fetcher(hook, layout, media=evidence.face_media),
    },
)
