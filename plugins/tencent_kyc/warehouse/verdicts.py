"""One verdict per order, from both syncs: ``kyc_verifications``, rebuilt in every merge for the orders it touched.

The rule, on each side's status (``kyc_order_status`` for the OCR, ``kyc_face_status`` with the record's
outcome for the face):

- **rejected** as soon as either side is rejected for good: quarantined by validation, expired (no result
  within Tencent's retention), failed in a way no later run can fix, or (face) a record Tencent did not pass,
  even one a lenient policy loaded; the reasons of that side (or both);
- **verified** only when the OCR record was accepted (with or without warnings) and the face verification
  passed and was accepted;
- **incomplete** otherwise: a side not seen yet, or still waiting for a result (``no_result``, a retryable
  failure); the reasons say which.

Written in the SQL subset every dialect shares (``CASE``, ``||``, ``COALESCE``, ``UNION``, left joins).
"""

from __future__ import annotations

from tencent_kyc.warehouse.schema import FACE_RESULTS, FACE_STATUS, STATUS, VERIFICATIONS

_BAD = "({s}.status IN ('quarantined', 'expired') OR ({s}.status = 'failed' AND {s}.retryable = 0))"
OCR_BAD = _BAD.format(s="o")
FACE_BAD = f"({_BAD.format(s='f')} OR r.outcome = 'not_passed')"
OCR_OK = "o.status = 'loaded'"
FACE_OK = "(f.status = 'loaded' AND r.outcome = 'passed')"


def _side(label: str, alias: str, ok: str, reason: str) -> str:
    """Why one side keeps the order from being verified ('' when it does not)."""
    return (
        f"CASE WHEN {alias}.order_no IS NULL THEN '{label}: not seen yet' WHEN {ok} THEN '' "
        f"ELSE '{label} ' || {alias}.status || ': ' || {reason} END"
    )


OCR_REASON = "COALESCE(o.reason, '')"
#: The face side's reason names Tencent's code when the status alone does not say it (a loaded not_passed).
FACE_REASON = "COALESCE(NULLIF(f.reason, ''), 'Tencent code ' || r.code || ' ' || COALESCE(r.message, ''), '')"


def refresh_verdicts(touched: str) -> list[str]:
    """Rebuild the verdicts of the orders ``touched`` selects (either sync's staged orders)."""
    orders = (
        f"SELECT order_no FROM {STATUS.name} WHERE order_no IN ({touched}) "
        f"UNION SELECT order_no FROM {FACE_STATUS.name} WHERE order_no IN ({touched})"
    )
    sides = (
        "SELECT k.order_no, COALESCE(o.order_date, f.order_date) AS order_date, o.status AS ocr_status, "
        "o.reason AS ocr_reasons, r.outcome AS face_outcome, f.status AS face_status, f.reason AS face_reasons, "
        f"CASE WHEN {OCR_BAD} THEN 1 ELSE 0 END AS ocr_bad, CASE WHEN {FACE_BAD} THEN 1 ELSE 0 END AS face_bad, "
        f"CASE WHEN {OCR_OK} AND {FACE_OK} THEN 1 ELSE 0 END AS both_ok, "
        f"{_side('ocr', 'o', OCR_OK, OCR_REASON)} AS ocr_why, "
        f"{_side('face', 'f', FACE_OK, FACE_REASON)} AS face_why "
        f"FROM ({orders}) k "
        f"LEFT JOIN {STATUS.name} o ON o.order_no = k.order_no "
        f"LEFT JOIN {FACE_STATUS.name} f ON f.order_no = k.order_no "
        f"LEFT JOIN {FACE_RESULTS.name} r ON r.order_no = k.order_no"
    )
    verdict = (
        "CASE WHEN ocr_bad = 1 OR face_bad = 1 THEN 'rejected' WHEN both_ok = 1 THEN 'verified' ELSE 'incomplete' END"
    )
    reasons = (
        "CASE WHEN ocr_bad = 1 AND face_bad = 1 THEN ocr_why || '; ' || face_why "
        "WHEN ocr_bad = 1 THEN ocr_why WHEN face_bad = 1 THEN face_why WHEN both_ok = 1 THEN NULL "
        "WHEN ocr_why = '' THEN face_why WHEN face_why = '' THEN ocr_why ELSE ocr_why || '; ' || face_why END"
    )
    return [
        f"DELETE FROM {VERIFICATIONS.name} WHERE order_no IN ({touched})",
        f"INSERT INTO {VERIFICATIONS.name} ({', '.join(VERIFICATIONS.names)}) "
        "SELECT order_no, order_date, ocr_status, ocr_reasons, face_outcome, face_status, face_reasons, "
        f"{verdict}, {reasons} FROM ({sides}) v",
    ]
