"""Run the strict Tencent KYC simulator for local development: ``python -m tencent_kyc_dev.simulator --help``.

Capacity, measured on a 2-core machine (qps 0, latency 0, getOcrResult for distinct orders, keep-alive
``requests.Session`` clients): one client process of 16 threads gets ~740 requests/s without photos and ~450
requests/s with photos (~80 KiB answers) and is itself the bottleneck, the simulator using 0.2-0.4 of a core.
Three client processes (18 threads) saturate both cores at ~1,900 requests/s without photos and ~1,400 with,
the simulator using ~0.5 core: ~250 us of CPU per request, ~100 us of which regenerates the order.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tencent_kyc_dev.simulator.config import DEMO_SECRET, SimulatorConfig, parse_knob, scalar_knobs
from tencent_kyc_dev.simulator.server import SimulatorServer

SECRET_VARIABLE = "TENCENT_KYC_SIMULATOR_SECRET"
_CAPACITY = (__doc__ or "").partition("\n\n")[2].strip()
EPILOG = f"""\
Secrets: the default app's secret comes from ${SECRET_VARIABLE} (or --secret); without either, the
simulator uses a public demo secret, printed at start-up. Other secrets are never printed.

Knobs marked * can also be changed while running: POST /admin/config.

Endpoints (Tencent's): GET /api/oauth2/access_token, GET /api/oauth2/api_ticket, GET /api/server/getOcrResult,
POST /api/v2/base/queryfacerecord?orderNo=... (JSON body; the query's orderNo, if sent, must equal the body's).
Admin: GET /healthz, GET /admin/stats, POST /admin/reset, GET /admin/orders?date=YYYY-MM-DD[&format=text],
GET /admin/injected?date=YYYY-MM-DD (OCR and face labels), GET /admin/faces?date=YYYY-MM-DD (each order's face
record as served today, with the SHA-256 of its photo and video), POST /admin/invalidate-tokens,
GET|POST /admin/config (JSON object of runtime knobs, e.g. {{"today": "2026-11-27", "qps": 5, "fault_5xx": 0.1}}).

{_CAPACITY}
"""


def _pair(parse_value: Callable[[str], Any]) -> Callable[[str], tuple[str, Any]]:
    """An argparse type for NAME=VALUE."""

    def parse(text: str) -> tuple[str, Any]:
        name, separator, value = text.partition("=")
        if not separator or not name:
            raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
        return name, parse_value(value)

    return parse


def _knob_type(name: str) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            return parse_knob(name, text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def build_parser() -> argparse.ArgumentParser:
    """One flag per knob of :class:`SimulatorConfig`; unset flags keep the dataclass defaults."""
    parser = argparse.ArgumentParser(
        prog="python -m tencent_kyc_dev.simulator",
        description="A strict simulator of Tencent Cloud Face Verification's WB server APIs.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        argument_default=argparse.SUPPRESS,
    )
    for spec in scalar_knobs():
        flag, help_text = "--" + spec.name.replace("_", "-"), spec.metadata["help"]
        if spec.metadata["runtime"]:
            help_text = "* " + help_text
        if spec.default is not None and spec.name != "secret":
            help_text += f" (default: {spec.default})"
        if spec.name == "secret":
            parser.add_argument(flag, help=f"{help_text} (prefer ${SECRET_VARIABLE}: arguments are visible in ps)")
        elif isinstance(spec.default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, help=help_text)
        else:
            parser.add_argument(flag, type=_knob_type(spec.name), help=help_text)
    parser.add_argument(
        "--extra-app", dest="extra_apps", action="append", type=_pair(str), metavar="APP_ID=SECRET",
        help="serve one more app (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--order-rate", dest="order_rates", action="append", type=_pair(float), metavar="NAME=RATE",
        help="override one of the order book's fault rates, OCR (e.g. never_completed=0.1) or face (face_*, e.g. "
        "face_no_record=0.1) (repeatable)",
    )  # fmt: skip
    parser.add_argument("--port-file", type=Path, help="write the bound port to this file once listening")
    return parser


def _announce(server: SimulatorServer, defaulted_secret: bool) -> None:
    config = server.config
    print(f"Tencent KYC simulator listening on {server.url}", flush=True)
    print(f"  WBappid {config.app_id}", flush=True)
    if defaulted_secret:
        print(f"  secret  {config.secret}  (the PUBLIC demo secret: for local use only)", flush=True)
    for app_id, _ in config.extra_apps:
        print(f"  WBappid {app_id}", flush=True)


def _write_port(path: Path, port: int) -> None:
    """Atomically, so a script polling for the file never reads half of it."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(f"{port}\n")
    partial.replace(path)


def main(argv: list[str] | None = None) -> None:
    knobs = vars(build_parser().parse_args(argv))
    port_file: Path | None = knobs.pop("port_file", None)
    knobs.setdefault("secret", os.environ.get(SECRET_VARIABLE) or DEMO_SECRET)
    for name in ("extra_apps", "order_rates"):
        if name in knobs:
            knobs[name] = tuple(knobs[name])
    try:
        config = SimulatorConfig(**knobs)
    except ValueError as exc:
        raise SystemExit(f"error: {exc}") from None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with SimulatorServer(config) as server:
        _announce(server, config.secret == DEMO_SECRET)
        if port_file is not None:
            _write_port(port_file, server.port)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()


if __name__ == "__main__":
    main()
