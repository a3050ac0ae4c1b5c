"""KycClient, the one request primitive, against a real HTTP server on loopback that answers what a test says."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tencent_kyc.api.client import FACE_RECORD, OCR_RESULT, KycClient, SignedEndpoint
from tencent_kyc.api.errors import KycAuthError, KycOrderError, KycRequestError, KycThrottledError, KycTransientError
from tencent_kyc.api.signing import sign_order_query
from tencent_kyc.hooks.settings import KycSettings

SECRET = "s" * 64
TICKET = "T" * 64
FACE_LIKE = SignedEndpoint("queryfacerecord", "/api/v2/base/queryfacerecord", "POST", frozenset({"66660011"}))


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    content_type: str | None


@dataclass
class Server:
    url: str = ""
    replies: list[tuple[int, bytes]] = field(default_factory=list)
    seen: list[Recorded] = field(default_factory=list)

    def reply(self, status: int = 200, body: Any = None, raw: bytes | None = None) -> None:
        self.replies.append((status, raw if raw is not None else json.dumps(body).encode()))


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            state.seen.append(
                Recorded(
                    self.command,
                    parts.path,
                    dict(parse_qsl(parts.query)),
                    json.loads(raw) if raw else None,
                    self.headers.get("Content-Type"),
                )
            )
            status, body = state.replies.pop(0)
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _handle

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_port}"
    yield state
    httpd.shutdown()
    httpd.server_close()


def client(server: Server, **extra: Any) -> KycClient:
    return KycClient(KycSettings(app_id="IDAXXXXX", secret=SECRET, base_url=server.url, **extra))


def test_a_get_endpoint_sends_the_five_signed_values_as_snake_case_query(server: Server) -> None:
    server.reply(body={"code": "0", "msg": "ok", "result": {"orderNo": "A1"}})
    envelope = client(server).signed(OCR_RESULT, "A1", TICKET, {"get_file": "1"})
    assert envelope["result"] == {"orderNo": "A1"}
    sent = server.seen[0]
    assert (sent.method, sent.path, sent.body) == ("GET", "/api/server/getOcrResult", None)
    assert set(sent.query) == {"app_id", "order_no", "nonce", "version", "sign", "get_file"}
    expected = sign_order_query(app_id="IDAXXXXX", order_no="A1", ticket=TICKET, nonce=sent.query["nonce"])
    assert sent.query["sign"] == expected and sent.query["version"] == "1.0.0"


def test_a_post_endpoint_sends_a_camel_case_json_body_and_the_order_in_the_query(server: Server) -> None:
    server.reply(body={"code": "66660011", "msg": "无此查询结果"})
    envelope = client(server).signed(FACE_LIKE, "B2", TICKET, {"getFile": "2", "queryVersion": "1.0"})
    assert envelope["code"] == "66660011"  # the endpoint's no-result code is an outcome
    sent = server.seen[0]
    assert (sent.method, sent.query, sent.content_type) == ("POST", {"orderNo": "B2"}, "application/json")
    assert set(sent.body) == {"appId", "version", "nonce", "orderNo", "sign", "getFile", "queryVersion"}
    assert all(isinstance(value, str) for value in sent.body.values())
    assert sent.body["sign"] == sign_order_query(
        app_id="IDAXXXXX", order_no="B2", ticket=TICKET, nonce=sent.body["nonce"]
    )


def test_two_calls_never_share_a_nonce(server: Server) -> None:
    server.reply(body={"code": "0"})
    server.reply(body={"code": "0"})
    kyc = client(server)
    kyc.signed(OCR_RESULT, "A1", TICKET)
    kyc.signed(OCR_RESULT, "A1", TICKET)
    assert server.seen[0].query["nonce"] != server.seen[1].query["nonce"]


@pytest.mark.parametrize(
    ("status", "body", "error", "code"),
    [
        (429, b"", KycThrottledError, "HTTP429"),
        (502, b"<html>bad gateway</html>", KycTransientError, "HTTP502"),
        (404, b"", KycRequestError, "HTTP404"),
        (200, b"<html><body>gateway</body></html>", KycTransientError, "MALFORMED"),
        (200, b'{"code": "0", "result": ', KycTransientError, "MALFORMED"),
        (200, b"[1, 2]", KycTransientError, "MALFORMED"),
        (200, json.dumps({"code": "400504", "msg": "频率过高"}).encode(), KycThrottledError, "400504"),
        (200, json.dumps({"code": "400102", "msg": "不合法请求"}).encode(), KycAuthError, "400102"),
        (200, json.dumps({"code": "66661005", "msg": "图像解码异常"}).encode(), KycOrderError, "66661005"),
        (200, json.dumps({"code": "66660020", "msg": "x"}).encode(), KycOrderError, "66660020"),
    ],
)
def test_answers_map_onto_the_taxonomy(server: Server, status: int, body: bytes, error: type, code: str) -> None:
    server.reply(status, raw=body)
    with pytest.raises(error) as raised:
        client(server).signed(FACE_LIKE, "A1", TICKET)  # 66660020 is no outcome of this endpoint
    assert raised.value.code == code and raised.value.order_no == "A1"


@pytest.mark.parametrize("code", ["66660004", "66660010", "66660015", "66660022", 66660004])
def test_a_face_verdict_code_is_an_answer(server: Server, code: object) -> None:
    server.reply(body={"code": code, "msg": "比对失败", "result": {"similarity": "41.30"}})
    assert client(server).signed(FACE_RECORD, "A1", TICKET)["result"] == {"similarity": "41.30"}


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("400101", KycAuthError),
        ("400504", KycThrottledError),
        ("999999", KycTransientError),
        ("400502", KycRequestError),
    ],
)
def test_auth_quota_server_and_request_codes_stay_errors_of_the_face_endpoint(
    server: Server, code: str, error: type
) -> None:
    server.reply(body={"code": code, "msg": "x"})
    with pytest.raises(error):
        client(server).signed(FACE_RECORD, "A1", TICKET)


@pytest.mark.parametrize("body", [{"msg": "请求成功"}, {"code": None, "msg": "x"}, {"code": "", "result": {}}])
@pytest.mark.parametrize("endpoint", [OCR_RESULT, FACE_RECORD], ids=lambda endpoint: endpoint.name)
def test_an_answer_without_a_code_is_malformed_never_a_verdict(
    server: Server, endpoint: SignedEndpoint, body: dict[str, object]
) -> None:
    server.reply(body=body)  # a gateway's JSON, not Tencent's answer: retry, never "not passed" for good
    with pytest.raises(KycTransientError) as raised:
        client(server).signed(endpoint, "A1", TICKET)
    assert raised.value.code == "MALFORMED" and raised.value.order_no == "A1"


def test_token_and_ticket_parse_tolerantly_and_refuse_empty_answers(server: Server) -> None:
    server.reply(body={"code": "0", "access_token": "tok" * 20, "expire_in": "7200"})
    server.reply(body={"code": 0, "tickets": [{"value": TICKET, "expire_in": 3600}]})
    server.reply(body={"code": "0", "tickets": []})
    kyc = client(server, app_id_param="appId")
    assert kyc.get_access_token() == ("tok" * 20, 7200.0)
    assert kyc.get_sign_ticket("tok" * 20) == (TICKET, 3600.0)
    with pytest.raises(KycTransientError, match=r"no tickets\[0\].value"):
        kyc.get_sign_ticket("tok" * 20)
    assert server.seen[0].query["appId"] == "IDAXXXXX" and server.seen[0].query["grant_type"] == "client_credential"
    assert server.seen[1].query["type"] == "SIGN"


def test_an_unreachable_server_is_transient_and_the_message_holds_no_url() -> None:
    kyc = KycClient(KycSettings(app_id="IDAXXXXX", secret=SECRET, base_url="http://127.0.0.1:9", connect_timeout=1))
    with pytest.raises(KycTransientError) as raised:
        kyc.get_access_token()
    assert (
        "ConnectionError" in str(raised.value)
        and SECRET not in str(raised.value)
        and "127.0.0.1" not in str(raised.value)
    )
