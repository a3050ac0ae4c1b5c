"""What findings mean for a record: reject it, or accept it with the findings as annotations.

Tencent passes every recognition and leaves warnings and consistency to the partner, so the decision is a
partner policy, kept as data: a list of finding-code patterns that reject (``fnmatch``, e.g. ``idcard.*`` or
``warning.*.reshot``); every other finding annotates. A policy file is a JSON object::

    {"reject": ["side.*", "idcard.*", "warning.*.reshot"], "clarity_threshold": 40}

``reject`` is required (``[]`` rejects nothing) so that a file cannot silently fall back to some default;
``clarity_threshold`` is optional (default 40 on the apparently 0–100 scale: Tencent documents none; its
examples are 64 and 72, and the simulator's low-clarity fault is below 40). Unknown keys, wrong types and
patterns matching no finding code are errors, so a typo cannot quietly turn a rejection into an acceptance.
"""

from __future__ import annotations

import enum
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, Self

from tencent_kyc.validation.rules import CODES, Finding


class PolicyError(ValueError):
    """A policy that cannot be used; the message names the problem."""


class Status(enum.StrEnum):
    """A record's verdict."""

    ACCEPTED = "accepted"
    ACCEPTED_WITH_WARNINGS = "accepted_with_warnings"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Verdict:
    """The status and the codes of all findings (sorted, unique), rejecting or not."""

    status: Status
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Threshold:
    """A number a rule compares with, declared once: its default, whether it is whole, its bounds."""

    default: float
    whole: bool = False
    minimum: float = 0
    maximum: float = 100

    def check(self, name: str, value: Any) -> None:
        kind = "an integer" if self.whole else "a number"
        if isinstance(value, bool) or not isinstance(value, int if self.whole else int | float):
            raise PolicyError(f"{name!r} must be {kind}, not {type(value).__name__}")
        if not self.minimum <= value <= self.maximum:
            raise PolicyError(f"{name!r} must be between {self.minimum:g} and {self.maximum:g}, not {value}")


@dataclass(frozen=True)
class RejectPolicy:
    """Finding-code patterns that reject a record, checked against the finding codes of one set of rules, and the
    thresholds those rules take. Subclasses declare ``codes`` and ``thresholds`` (a field each, defaulting to
    its declared default)."""

    reject: tuple[str, ...]
    codes: ClassVar[Mapping[str, str]] = MappingProxyType({})
    thresholds: ClassVar[Mapping[str, Threshold]] = MappingProxyType({})

    def __post_init__(self) -> None:
        if not isinstance(self.reject, tuple):
            raise PolicyError(f"'reject' must be a list of finding-code patterns, not {type(self.reject).__name__}")
        for index, pattern in enumerate(self.reject):
            if not isinstance(pattern, str):
                raise PolicyError(f"reject[{index}] must be a string, not {type(pattern).__name__}")
            if not any(fnmatchcase(code, pattern) for code in self.codes):
                raise PolicyError(f"reject[{index}] {pattern!r} matches no finding code")
        for name, threshold in self.thresholds.items():
            threshold.check(name, getattr(self, name))

    def rejects(self, code: str) -> bool:
        return any(fnmatchcase(code, pattern) for pattern in self.reject)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> Self:
        """A policy from decoded JSON; raises PolicyError naming the first problem found."""
        if not isinstance(mapping, Mapping):
            raise PolicyError(f"a policy must be a JSON object, not {type(mapping).__name__}")
        keys = ("reject", *cls.thresholds)
        unknown = sorted(str(key) for key in mapping if key not in keys)
        if unknown:
            raise PolicyError(f"unknown policy key(s) {', '.join(unknown)}; known keys: {', '.join(keys)}")
        if "reject" not in mapping:
            raise PolicyError("the policy needs 'reject', a list of finding-code patterns ([] rejects nothing)")
        reject = mapping["reject"]
        if not isinstance(reject, list | tuple):
            raise PolicyError(f"'reject' must be a list of finding-code patterns, not {type(reject).__name__}")
        return cls(tuple(reject), **{name: mapping[name] for name in cls.thresholds if name in mapping})

    @classmethod
    def load(cls, source: str | os.PathLike[str]) -> Self:
        """A policy from JSON text (a string starting with ``{``) or from a JSON file at the path ``source``."""
        if isinstance(source, str) and source.lstrip().startswith("{"):
            origin, text = "policy JSON", source
        else:
            origin = f"policy file {os.fspath(source)}"
            try:
                text = Path(source).read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as error:
                raise PolicyError(f"{origin}: cannot be read ({error})") from None
        try:
            return cls.from_mapping(json.loads(text))
        except json.JSONDecodeError as error:
            raise PolicyError(
                f"{origin}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
            ) from None
        except PolicyError as error:
            raise PolicyError(f"{origin}: {error}") from None


CLARITY = Threshold(40, whole=True)
DEFAULT_CLARITY_THRESHOLD = int(CLARITY.default)


@dataclass(frozen=True)
class Policy(RejectPolicy):
    """The ID-card OCR policy: rejecting patterns of :data:`~tencent_kyc.validation.rules.CODES`, and the clarity
    threshold of the ``clarity.*_low`` rules."""

    clarity_threshold: int = DEFAULT_CLARITY_THRESHOLD
    codes: ClassVar[Mapping[str, str]] = CODES
    thresholds: ClassVar[Mapping[str, Threshold]] = MappingProxyType({"clarity_threshold": CLARITY})


#: Reject what a KYC team cannot accept without a person looking at the card again: a side not recognised, any
#: inconsistency of ID number, birth date or sex (Tencent's own OCR already refuses most of these, so one that
#: gets through means a misread or a forgery), an expired card, one not yet valid on the order date (issued after
#: the verification: a misread date or a forgery) or one whose validity cannot be read (expiry is then
#: unproven), a photocopy, a re-shot screen and a temporary card (not an original, current card). Annotate
#: the rest, which may well be a genuine card: border/occlusion/invalid-date warnings (Tencent's recognition
#: still passed), the undocumented bits and non-bitmap codes, low or unreadable clarity, a nation outside the 56
#: (real cards print e.g. 穿青人), an ID number seen on several orders (users retry), and unusual spans (old
#: cards, re-issues).
DEFAULT_POLICY = Policy(
    reject=(
        "side.*",
        "idcard.*",
        "birth.*",
        "sex.*",
        "valid_date.expired",
        "valid_date.not_started",
        "valid_date.format",
        "warning.*.photocopy",
        "warning.*.reshot",
        "warning.*.temporary",
    )
)


def decide(findings: Iterable[Finding], policy: RejectPolicy) -> Verdict:
    """The verdict on a checked record (one with a result: ``check_result`` returns no findings for the others,
    which are counted by outcome and must not be called accepted)."""
    reasons = tuple(sorted({finding.code for finding in findings}))
    if not reasons:
        return Verdict(Status.ACCEPTED, reasons)
    if any(policy.rejects(code) for code in reasons):
        return Verdict(Status.REJECTED, reasons)
    return Verdict(Status.ACCEPTED_WITH_WARNINGS, reasons)
