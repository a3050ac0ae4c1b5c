"""What the simulator sends back: the reply of one request, Tencent's JSON conventions, and the refusal a rule raises
(with the one rule every endpoint checks first: its parameters present, the version right).

Shared by the API (api.py, face_endpoint.py), the injected faults (faults.py), the admin endpoints (admin.py) and
the HTTP plumbing (server.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from tencent_kyc.api.signing import API_VERSION

#: Tencent's texts for the codes the simulator answers (API reference §4.4; face codes: face result reference §6,
#: where 66660004, 66660010 and 66660022 have no documented text: these are plausible ones).
MESSAGES = {
    "0": "请求成功",
    "400101": "不合法请求",
    "400102": "不合法请求",
    "400104": "无权限访问此请求",
    "400501": "请求超过最大限制",
    "400502": "请求上送版本参数错误",
    "400504": "请求访问频率过高",
    "66660004": "无法确认为同一人",
    "66660010": "姓名和身份证号不一致",
    "66660011": "无此查询结果",
    "66660015": "视频或图片异常",
    "66660020": "OCR 结果查询不到",
    "66660022": "未查询到身份信息",
    "999999": "网络不给力，请稍后再试",
}
JSON_TYPE = "application/json;charset=UTF-8"
HTML_TYPE = "text/html;charset=UTF-8"
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


@dataclass(frozen=True)
class Reply:
    """What to send back: ``code`` is the JSON code (for the stats); ``drop`` hangs up without answering."""

    status: int = 200
    body: bytes = b""
    content_type: str = JSON_TYPE
    code: str | None = None
    drop: bool = False


class Refusal(Exception):
    """A request the rules refuse: answered with ``code``, counted as ``counter``."""

    def __init__(self, code: str, counter: str) -> None:
        super().__init__(code)
        self.code, self.counter = code, counter


def require(app_id: str, params: Mapping[str, str], names: tuple[str, ...]) -> None:
    """Every parameter present and non-empty (else 400101), and ``version`` exactly 1.0.0 (else 400502)."""
    if not app_id or not all(params.get(name) for name in (*names, "version")):
        raise Refusal("400101", "missing_params")
    if params["version"] != API_VERSION:
        raise Refusal("400502", "bad_version")


def json_bytes(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_reply(payload: Any, status: int = 200) -> Reply:
    return Reply(status, json_bytes(payload))


def tencent_time(moment: datetime | None = None) -> str:
    """``yyyyMMddHHmmss`` in Beijing time, as Tencent writes ``transactionTime`` and ``expire_time``."""
    return (moment or datetime.now(BEIJING)).strftime("%Y%m%d%H%M%S")
