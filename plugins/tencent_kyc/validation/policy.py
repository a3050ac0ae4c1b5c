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
from typing import Any

from tencent_kyc.validation.rules import CODES, Finding

DEFAULT_CLARITY_THRESHOLD = 40
_KEYS = ("reject", "clarity_threshold")


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
class Policy:
    """Finding-code patterns that reject a record, and the clarity threshold of the ``clarity.*_low`` rules."""

    reject: tuple[str, ...]
    clarity_threshold: int = DEFAULT_CLARITY_THRESHOLD

    def __post_init__(self) -> None:
        if not isinstance(self.reject, tuple):
            raise PolicyError(f"'reject' must be a list of finding-code patterns, not {type(self.reject).__name__}")
        for index, pattern in enumerate(self.reject):
            if not isinstance(pattern, str):
                raise PolicyError(f"reject[{index}] must be a string, not {type(pattern).__name__}")
            if not any(fnmatchcase(code, pattern) for code in CODES):
                raise PolicyError(f"reject[{index}] {pattern!r} matches no finding code")
        threshold = self.clarity_threshold
        if not isinstance(threshold, int) or isinstance(threshold, bool):
            raise PolicyError(f"'clarity_threshold' must be an integer, not {type(threshold).__name__}")
        if not 0 <= threshold <= 100:
            raise PolicyError(f"'clarity_threshold' must be between 0 and 100, not {threshold}")

    def rejects(self, code: str) -> bool:
        return any(fnmatchcase(code, pattern) for pattern in self.reject)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> Policy:
        """A policy from decoded JSON; raises PolicyError naming the first problem found."""
        if not isinstance(mapping, Mapping):
            raise PolicyError(f"a policy must be a JSON object, not {type(mapping).__name__}")
        unknown = sorted(str(key) for key in mapping if key not in _KEYS)
        if unknown:
            raise PolicyError(f"unknown policy key(s) {', '.join(unknown)}; known keys: {', '.join(_KEYS)}")
        if "reject" not in mapping:
            raise PolicyError("the policy needs 'reject', a list of finding-code patterns ([] rejects nothing)")
        reject = mapping["reject"]
        if not isinstance(reject, list | tuple):
            raise PolicyError(f"'reject' must be a list of finding-code patterns, not {type(reject).__name__}")
        return cls(tuple(reject), mapping.get("clarity_threshold", DEFAULT_CLARITY_THRESHOLD))

    @classmethod
    def load(cls, source: str | os.PathLike[str]) -> Policy:
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


def decide(findings: Iterable[Finding], policy: Policy) -> Verdict:
    """The verdict on a checked record (one with a result: ``check_result`` returns no findings for the others,
    which are counted by outcome and must not be called accepted)."""
    reasons = tuple(sorted({finding.code for finding in findings}))
    if not reasons:
        return Verdict(Status.ACCEPTED, reasons)
    if any(policy.rejects(code) for code in reasons):
        return Verdict(Status.REJECTED, reasons)
    return Verdict(Status.ACCEPTED_WITH_WARNINGS, reasons)
