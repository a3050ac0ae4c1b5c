"""Validation of staged getOcrResult records: pure rules, no Airflow, no I/O.

``check_result`` lists the rules a record's result breaks as ``Finding(code, message)``; ``decide`` turns them into a
``Verdict`` under a ``Policy`` (rejecting codes; every other finding annotates). Only records with a result
(outcome ``fetched``, ``front_only``, ``back_only``, ``not_recognised``) are checked, and only the fields of
the sides Tencent recognised. The ID number is compared across orders by ``idcard_fingerprint`` only.
Messages never hold personal data. Codes are stable; their meanings (also in ``rules.CODES``):

=========================  ===============================================================================
Code                       Meaning
=========================  ===============================================================================
side.front_missing         ``frontCode`` is not ``"0"``: the portrait side was not recognised
side.back_missing          ``backCode`` is not ``"0"``: the emblem side was not recognised
idcard.missing             the ID number is missing or empty
idcard.format              the ID number is not 17 ASCII digits and a digit or ``X`` (``x`` accepted)
idcard.check_digit         the 18th character is not the GB 11643 (ISO 7064 MOD 11-2) check character
idcard.province            the first two digits are no GB/T 2260 province, nor 81/82/83 (residence permits)
birth.invalid              ``birth`` is missing or not a real ``yyyyMMdd`` date (e.g. ``20230230``)
birth.future               ``birth`` is after the order date
birth.mismatch             ``birth`` differs from digits 7–14 of the ID number
sex.invalid                ``sex`` is missing or not ``男``/``女``
sex.mismatch               ``sex`` disagrees with the parity of ID digit 17 (odd = ``男``)
nation.unknown             ``nation`` is missing or not one of the 56 of GB/T 3304, with or without ``族``
valid_date.format          ``validDate`` is missing or not ``yyyyMMdd-yyyyMMdd`` / ``yyyyMMdd-长期``
                           (``长期有效`` accepted) with real dates
valid_date.expired         the validity ended before the order date
valid_date.not_started     the validity starts after the order date (a card issued after the verification)
valid_date.span            the validity is not exactly 5, 10 or 20 years (a 29 February start may end on
                           28 February or 1 March), nor 长期
valid_date.age_band        the span does not fit the age at issue (ID Card Law art. 5: under 16 → 5 years,
                           16–25 → 10, 26–45 → 20, 46+ → 长期), allowing the band of an age up to a year
                           younger (application precedes issue) and, for 81/82/83 permits, 5 years at any
                           age; also a validity starting before the birth date. Needs both sides.
clarity.front_low          ``frontClarity`` is below ``Policy.clarity_threshold``
clarity.back_low           ``backClarity`` is below ``Policy.clarity_threshold``
clarity.invalid            a recognised side's clarity is missing or not a non-negative integer
warning.<side>.<flag>      bit set in ``<side>WarnCode`` or ``<side>MultiWarning`` (side ``front`` or
                           ``back``); flags by bitmap position: 1 ``border`` 边框不完整, 2 ``photocopy``
                           复印件, 3 ``invalid_date`` 日期不合法, 4 ``reshot`` 翻拍, 5 ``temporary`` 临时身份证,
                           6 ``occluded`` 框内遮挡, 7 ``unknown_7`` and 8 ``unknown_8`` (undocumented)
warning.<side>.opaque      a present warning field is not an 8-character ``[01]`` bitmap (e.g. ``66661003``)
duplicate.idcard           the ID number's fingerprint is among the caller's ``duplicate_idcards`` (seen on
                           several orders of the day)
=========================  ===============================================================================
"""

from __future__ import annotations

from tencent_kyc.validation.policy import DEFAULT_POLICY, Policy, PolicyError, Status, Verdict, decide
from tencent_kyc.validation.rules import (
    CHECKED_OUTCOMES,
    CODES,
    Finding,
    check_result,
    idcard_fingerprint,
    result_fingerprint,
)
from tencent_kyc.validation.warnings import Warnings, decode_warning, side_warnings

__all__ = [
    "CHECKED_OUTCOMES",
    "CODES",
    "DEFAULT_POLICY",
    "Finding",
    "Policy",
    "PolicyError",
    "Status",
    "Verdict",
    "Warnings",
    "check_result",
    "decide",
    "decode_warning",
    "idcard_fingerprint",
    "result_fingerprint",
    "side_warnings",
]
