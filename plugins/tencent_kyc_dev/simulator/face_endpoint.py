"""``queryfacerecord``, enforced as strictly as getOcrResult, serving the face records of faces.py with their media.

``POST /api/v2/base/queryfacerecord?orderNo=…`` with a JSON body of strings (face result reference §1, §3); any
other method is answered HTTP 405 (api.py). The rules, in the order they are checked; each refusal is Tencent's
HTTP 200 JSON answer, counted in ``/admin/stats``:

- the body is a JSON object and each of its fields a string (the docs type them all String), else 400101
  (``bad_body``);
- ``appId``, ``orderNo``, ``nonce``, ``sign`` present and non-empty (400101 ``missing_params``), ``version``
  exactly "1.0.0" (400502 ``bad_version``);
- ``appId`` one of the simulator's apps (400104 ``bad_credentials``);
- the query string's ``orderNo``, when sent, equal to the body's (400101 ``order_no_mismatch``: the docs ask for
  the same number; a missing one is accepted, since the docs only ask for it and the signature does not cover it);
- what every signed result query shares (``Simulator.check_signed``): nonce and order number shapes, the
  signature over exactly appId, orderNo, version, SIGN ticket and nonce with a live ticket (400101; 400102 for a
  ticket that died with its token), no nonce reused within the window (whichever endpoint used it first).

``getFile``, ``queryVersion`` and unknown fields are neither signed nor checked. The answer is 66660011 without a
``result`` when the order has no face record today (never finished the flow, not completed yet, completed more
than ``retention_days`` ago, or a number never issued); otherwise the record's code and Tencent's message, and its
``result`` (if it has one) with ``appId`` and ``bizSeqNo`` added, ``sdkVersion`` and ``trtcFlag`` ("Y", else
absent) for ``queryVersion`` "1.0", and the media ``getFile`` asks for ("1" both, "2" the photo, "3" the video;
anything else none) in Base64: empty strings while they lag, absent when Tencent left them out.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from tencent_kyc_dev.simulator.config import SimulatorConfig
from tencent_kyc_dev.simulator.faces import NO_RECORD, FaceBook, FaceRecord, media_for
from tencent_kyc_dev.simulator.replies import MESSAGES, Refusal, Reply, require

if TYPE_CHECKING:
    from tencent_kyc_dev.simulator.api import Simulator

QUERY_FACE_RECORD = "queryfacerecord"
#: ``getFile`` → the media it asks for.
GET_FILE = {"1": ("photo", "video"), "2": ("photo",), "3": ("video",)}
#: Face records are regenerated from their number on lookup; the most recent ones are kept.
RECORDS_CACHED = 65_536


@dataclass(frozen=True)
class FaceQuery:
    """One queryfacerecord request as received: the body's fields (empty when ``bad_body``) and the query
    string's ``orderNo`` (None when not sent)."""

    body: Mapping[str, str]
    url_order_no: str | None
    bad_body: bool

    @classmethod
    def parse(cls, query: Mapping[str, str], body: bytes) -> FaceQuery:
        try:
            fields = json.loads(body)
        except ValueError:  # not JSON, or not UTF-8
            fields = None
        if isinstance(fields, dict) and all(isinstance(value, str) for value in fields.values()):
            return cls(fields, query.get("orderNo"), False)
        return cls({}, query.get("orderNo"), True)

    @property
    def app_id(self) -> str:
        return self.body.get("appId", "")

    @property
    def order_no(self) -> str:
        return self.body.get("orderNo", "")


def standing(record: FaceRecord | None, today: date, retention_days: int) -> str:
    """How the endpoint answers for the record ``today``: its verdict (``passed``, ``not_passed``), or ``late``
    while the flow has not completed, or ``no_record`` (never completed, purged after the retention, unknown)."""
    if record is None or record.completes_on is None:
        return "no_record"
    if record.completes_on > today:
        return "late"
    if retention_days and (today - record.completes_on).days > retention_days:
        return "no_record"
    return record.outcome


def _score(text: str) -> int | float | str:
    """A score as the JSON number a ``face_numeric_scores`` record sends; an empty string stays one."""
    if not text:
        return text
    return float(text) if "." in text else int(text)


class FaceEndpoint:
    """The queryfacerecord rules and answers of one :class:`~tencent_kyc_dev.simulator.api.Simulator`."""

    def __init__(self, simulator: Simulator) -> None:
        self._simulator = simulator
        self.faces = FaceBook(simulator.book, simulator.config.face_fault_rates)
        self.lookup = lru_cache(maxsize=RECORDS_CACHED)(self.faces.lookup)

    def serve(self, app_id: str, request: FaceQuery, config: SimulatorConfig) -> Reply:
        """The answer to one request that passed the quotas and drew no fault; raises Refusal."""
        if request.bad_body:
            raise Refusal("400101", "bad_body")
        body = request.body
        require(app_id, body, ("orderNo", "nonce", "sign"))
        if app_id not in config.apps:
            raise Refusal("400104", "bad_credentials")
        order_no = body["orderNo"]
        if request.url_order_no is not None and request.url_order_no != order_no:
            raise Refusal("400101", "order_no_mismatch")
        self._simulator.check_signed(app_id, order_no, body["nonce"], body["sign"], config)
        record = self.lookup(order_no)
        if record is None or standing(record, config.current_date(), config.retention_days) in ("late", "no_record"):
            return self._simulator.envelope(QUERY_FACE_RECORD, NO_RECORD)
        return self._answer(app_id, record, body, config.photo_lag_seconds)

    def _answer(self, app_id: str, record: FaceRecord, body: Mapping[str, str], photo_lag: float) -> Reply:
        """The record's answer. The lag clock starts at the order's first face query, whatever it asked for."""
        if record.result is None:
            return self._simulator.envelope(QUERY_FACE_RECORD, record.code)
        biz_seq_no = self._simulator.biz_seq_no()
        numeric = ("liveRate", "similarity") if record.numeric_scores else ()
        result: dict[str, Any] = {
            key: _score(value) if key in numeric else value for key, value in record.result.items() if key != "oriCode"
        }
        result["appId"] = app_id
        ripe = True
        if record.media_lag:
            started = self._simulator.first_queries.first_seen(("face", record.order_no))[0]
            ripe = time.monotonic() - started >= photo_lag
        for name, data in media_for(record, GET_FILE.get(body.get("getFile", ""), ())).items():
            result[name] = base64.b64encode(data).decode("ascii") if ripe else ""
        result["bizSeqNo"] = biz_seq_no
        if body.get("queryVersion") == "1.0":
            result["sdkVersion"] = record.sdk_version
            if record.trtc:
                result["trtcFlag"] = "Y"
        if "oriCode" in record.result:
            result["oriCode"] = record.result["oriCode"]
        return self._simulator.envelope(QUERY_FACE_RECORD, record.code, biz_seq_no=biz_seq_no, result=result)

    def ground_truth(self, day: date, config: SimulatorConfig) -> list[dict[str, Any]]:
        """For each order of ``day``, what the endpoint answers on the simulator's today (``/admin/faces``): the
        outcome (``passed``, ``not_passed``, ``no_record``, ``late``), code and message, scores as numbers (null
        when absent or empty), ``occurredTime``, ``sdkVersion`` and ``trtcFlag`` as sent, and the SHA-256 of each
        medium served once any lag has passed (null when not served)."""
        today, rows = config.current_date(), []
        for record in self.faces.records(day):
            outcome = standing(record, today, config.retention_days)
            served = outcome in ("passed", "not_passed")
            result = (record.result or {}) if served else {}
            media = media_for(record) if served else {}
            code = record.code if served else NO_RECORD
            rows.append(
                {
                    "orderNo": record.order_no,
                    "outcome": outcome,
                    "code": code,
                    "msg": MESSAGES[code],
                    "similarity": float(result["similarity"]) if result.get("similarity") else None,
                    "liveRate": float(result["liveRate"]) if result.get("liveRate") else None,
                    "occurredTime": result.get("occurredTime"),
                    "sdkVersion": record.sdk_version if result else None,
                    "trtcFlag": "Y" if result and record.trtc else None,
                    "photoSha256": hashlib.sha256(media["photo"]).hexdigest() if "photo" in media else None,
                    "videoSha256": hashlib.sha256(media["video"]).hexdigest() if "video" in media else None,
                    "completesOn": record.completes_on.isoformat() if record.completes_on else None,
                    "labels": list(record.injected),
                }
            )
        return rows
