"""The simulator on a real socket: HTTP/1.1 keep-alive plumbing around :class:`~.api.Simulator`.

:class:`SimulatorServer` serves one simulator from a background thread (``with SimulatorServer(config) as
sim``); every request goes to ``Simulator.handle`` and is answered in one write. The query string (secret,
token, signature) is never logged.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import socketserver
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tencent_kyc_dev.simulator.api import Simulator
from tencent_kyc_dev.simulator.config import SimulatorConfig
from tencent_kyc_dev.simulator.replies import Reply, json_reply

LOG = logging.getLogger("tencent_kyc_dev.simulator")


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive plumbing: every request goes to :meth:`Simulator.handle`, answered in one write."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _HttpServer

    def do_GET(self) -> None:
        arrived = time.monotonic()  # as a gateway stamps it: before this thread's parsing and the GIL's waits
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            self._send(json_reply({"error": "bad Content-Length"}, 400))
            return
        body = self.rfile.read(length) if length > 0 else b""
        reply = self.server.simulator.handle(self.command, self.path, body, arrived=arrived)
        if self.server.simulator.config.access_log:
            LOG.info("%s %s %s", self.command, self.path.partition("?")[0], "dropped" if reply.drop else reply.status)
        if reply.drop:
            self.close_connection = True
        else:
            self._send(reply)

    do_POST = do_GET

    def _send(self, reply: Reply) -> None:
        head = (
            f"HTTP/1.1 {reply.status} {HTTPStatus(reply.status).phrase}\r\n"
            f"Content-Type: {reply.content_type}\r\nContent-Length: {len(reply.body)}\r\n"
            f"{'Connection: close' if self.close_connection else 'Connection: keep-alive'}\r\n\r\n"
        )
        self.wfile.write(head.encode("ascii") + reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: the default would print the request line, whose query holds secrets and signatures."""


class _HttpServer(ThreadingHTTPServer):
    """A thread per connection, tracked so that stopping also hangs up idle keep-alive connections."""

    daemon_threads = True
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], simulator: Simulator) -> None:
        self.simulator = simulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse-DNS lookup of the address, which can stall for seconds."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def hang_up_all(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up is normal; anything else is logged without the request (it may hold secrets)."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            LOG.exception("simulator request failed")


class SimulatorServer:
    """The simulator on a real socket, served from a background thread: ``with SimulatorServer(config) as sim``."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.simulator = Simulator(config)
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def config(self) -> SimulatorConfig:
        """The current knobs (they change with ``update_config`` and ``POST /admin/config``)."""
        return self.simulator.config

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the simulator is not running")
        return self._httpd.server_port

    @property
    def url(self) -> str:
        """Base URL for clients; a wildcard listen address is reached through loopback."""
        host = self.config.host
        host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    def start(self) -> SimulatorServer:
        if self._httpd is not None:
            raise RuntimeError("the simulator is already running")
        self._httpd = _HttpServer((self.config.host, self.config.port), self.simulator)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="kyc-simulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and hang up every connection; requests still sleeping finish on daemon threads."""
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.hang_up_all()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stats(self) -> dict[str, Any]:
        return self.simulator.stats.snapshot()

    def reset_stats(self) -> None:
        """Zero the counters only (credentials and windows are kept)."""
        self.simulator.stats.reset()

    def reset(self) -> None:
        """Counters and every credential, window and clock, like ``POST /admin/reset``."""
        self.simulator.reset()

    def invalidate_tokens(self) -> dict[str, int]:
        return self.simulator.invalidate_tokens()

    def update_config(self, **knobs: Any) -> SimulatorConfig:
        return self.simulator.update_config(knobs)
