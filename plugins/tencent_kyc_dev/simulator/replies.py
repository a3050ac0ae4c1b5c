"""What the simulator sends back: the reply of one request, Tencent's JSON conventions, and the refusal a rule raises.

Shared by the API (api.py), the injected faults (faults.py), the admin endpoints (admin.py) and the HTTP
plumbing (server.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

#: Tencent's texts for the codes the simulator answers (API reference §4.4).
MESSAGES = {
    "0": "请求成功",
    "400101": "不合法请求",
    "400102": "不合法请求",
    "400104": "无权限访问此请求",
    "400501": "请求超过最大限制",
    "400502": "请求上送版本参数错误",
    "400504": "请求访问频率过高",
    "66660020": "OCR 结果查询不到",
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


def json_bytes(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_reply(payload: Any, status: int = 200) -> Reply:
    return Reply(status, json_bytes(payload))


def tencent_time(moment: datetime | None = None) -> str:
    """``yyyyMMddHHmmss`` in Beijing time, as Tencent writes ``transactionTime`` and ``expire_time``."""
    return (moment or datetime.now(BEIJING)).strftime("%Y%m%d%H%M%S")
