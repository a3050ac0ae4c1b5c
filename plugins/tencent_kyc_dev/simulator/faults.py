"""Faults the simulator puts in place of result queries' answers (getOcrResult and queryfacerecord alike): HTTP
5xx, code 999999, time-outs, malformed and HTML bodies, each drawn per request at its configured rate (``fault_*``
knobs).

The draws come from one RNG seeded with ``fault_seed``, so a seeded run injects the same faults in the same
order; a new ``fault_seed`` restarts them.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from http import HTTPStatus

from tencent_kyc_dev.simulator.config import SimulatorConfig
from tencent_kyc_dev.simulator.replies import HTML_TYPE, Reply
from tencent_kyc_dev.simulator.state import Stats

GATEWAY_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center>"
    b"<hr><center>stgw</center></body></html>"
)


class FaultInjector:
    """Draws the faults; ``envelope(code, **fields)`` builds an answer in Tencent's envelope (the result queries'
    envelopes are alike: code, msg, bizSeqNo, transactionTime)."""

    def __init__(self, seed: int | None, stats: Stats, envelope: Callable[..., Reply]) -> None:
        self._stats = stats
        self._envelope = envelope
        self._lock = threading.Lock()
        self._rng = random.Random(seed)

    def reseed(self, seed: int | None) -> None:
        with self._lock:
            self._rng = random.Random(seed)

    def draw(self, config: SimulatorConfig) -> Reply | None:
        """Maybe a fault instead of an answer, drawn per result query at the configured rates."""
        if not any(rate for _, rate in config.request_faults):
            return None
        with self._lock:
            roll, variant = self._rng.random(), self._rng.random()
        for kind, rate in config.request_faults:
            if roll < rate:
                self._stats.fault(kind)
                return self._reply(kind, variant, config)
            roll -= rate
        return None

    def _reply(self, kind: str, variant: float, config: SimulatorConfig) -> Reply:
        if kind == "5xx":
            status = (500, 502, 503)[int(variant * 6) % 3]
            page = f"<html><body><h1>{status} {HTTPStatus(status).phrase}</h1></body></html>".encode()
            return Reply(status, page if variant < 0.5 else b"", HTML_TYPE)
        if kind == "999999":
            return self._envelope("999999")
        if kind == "timeout":
            time.sleep(config.timeout_seconds)
            return Reply(drop=True)
        if kind == "malformed":
            whole = self._envelope("0", result={"orderNo": "", "success": False}).body
            return Reply(body=whole[: len(whole) // 2])
        return Reply(body=GATEWAY_PAGE, content_type=HTML_TYPE)
