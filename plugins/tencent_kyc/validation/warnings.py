"""Tencent's ID-card OCR warnings: the 8-character ``[01]`` bitmap of ``*WarnCode`` and ``*MultiWarning``.

Tencent passes every recognition and leaves warnings to the partner ("告警码只是一种告警提示，不影响识别"), so
they must be decoded here. Position meanings 1–6 come from the reference (§5.1) and agree with the documented
example ``10010100`` = border, re-shot, occluded; positions 7 and 8 are undocumented and kept by position.
Older documents describe ``*WarnCode`` as a single code (a peer shows ``66661003``), so anything that is not a
bitmap is kept as an opaque code instead of being guessed at or raising.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

#: Flag name → meaning, in bitmap order (position 1 first).
FLAG_MEANINGS: Mapping[str, str] = MappingProxyType(
    {
        "border": "边框不完整 (incomplete border)",
        "photocopy": "复印件 (photocopy)",
        "invalid_date": "日期不合法 (invalid validity date)",
        "reshot": "翻拍 (re-shot, e.g. a photographed screen)",
        "temporary": "临时身份证 (temporary ID card)",
        "occluded": "框内遮挡 (occlusion inside the frame)",
        "unknown_7": "position 7, undocumented",
        "unknown_8": "position 8, undocumented",
    }
)
FLAGS: tuple[str, ...] = tuple(FLAG_MEANINGS)
#: The flags whose meaning Tencent documents (positions 1–6).
DOCUMENTED_FLAGS: tuple[str, ...] = FLAGS[:6]
#: The fields carrying one side's warnings; a side's warnings are the union of both.
WARNING_FIELDS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {"front": ("frontWarnCode", "frontMultiWarning"), "back": ("backWarnCode", "backMultiWarning")}
)


@dataclass(frozen=True)
class Warnings:
    """Decoded warnings: named flags, plus any value that was not a bitmap (as text, for the record only)."""

    flags: frozenset[str] = frozenset()
    opaque: tuple[str, ...] = ()

    def __or__(self, other: Warnings) -> Warnings:
        return Warnings(self.flags | other.flags, self.opaque + other.opaque)


def decode_warning(value: Any) -> Warnings:
    """One warning value: an 8×``[01]`` string → its flags; anything else (``66661003``, ``0001``, None, an int)
    → an opaque code."""
    if isinstance(value, str) and len(value) == len(FLAGS) and set(value) <= {"0", "1"}:
        return Warnings(frozenset(flag for flag, bit in zip(FLAGS, value, strict=True) if bit == "1"))
    return Warnings(opaque=(value if isinstance(value, str) else repr(value),))


def side_warnings(result: Mapping[str, Any], side: str) -> Warnings:
    """The union of a side's ``WarnCode`` and ``MultiWarning``. An absent field adds nothing: Tencent returns
    warning codes only for a recognised side, and describes them as sent when there is something to report."""
    decoded = Warnings()
    for name in WARNING_FIELDS[side]:
        if name in result:
            decoded |= decode_warning(result[name])
    return decoded
