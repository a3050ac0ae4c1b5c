"""Run the Tencent KYC simulator: ``python -m tencent_kyc.simulator --help``."""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from datetime import date
from pathlib import Path

from tencent_kyc.simulator.knobs import DEMO_SECRET, SimulatorConfig
from tencent_kyc.simulator.service import SimulatorServer

EPILOG = """
Endpoints: GET /api/oauth2/access_token, /api/oauth2/api_ticket, /api/server/getOcrResult (as Tencent's docs
describe them); admin: GET /admin/stats, /admin/orders?date=YYYY-MM-DD[&format=text],
/admin/injected?date=YYYY-MM-DD, /healthz; POST /admin/reset, /admin/invalidate-tokens, /admin/config (JSON).
Capacity on a 2-core machine: see the README's simulator section.
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tencent_kyc.simulator",
        description="A strict simulator of Tencent Cloud KYC's WB server APIs (token, SIGN ticket, getOcrResult).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    defaults = SimulatorConfig()
    for spec in fields(SimulatorConfig):
        if spec.name in ("rates", "secret"):
            continue
        default = getattr(defaults, spec.name)
        kind = {bool: bool, int: int, float: float}.get(type(default), str)
        if spec.name == "today":
            kind = date.fromisoformat  # type: ignore[assignment]
        if spec.name == "fault_seed":
            kind = int
        parser.add_argument(f"--{spec.name.replace('_', '-')}", type=kind, default=default, help=f"default: {default}")
    parser.add_argument("--secret", default=DEMO_SECRET, help="the app secret (default: the public demo secret)")
    parser.add_argument("--port-file", type=Path, help="write the bound port here once listening (for scripts)")
    args = vars(parser.parse_args(argv))
    port_file = args.pop("port_file")
    config = SimulatorConfig(**args)
    server = SimulatorServer(config).start()
    host, port = server.url.rsplit(":", 1)
    if port_file:
        port_file.write_text(port)
    secret_note = " (the public demo secret)" if config.secret == DEMO_SECRET else ""
    print(f"Tencent KYC simulator on {server.url}: WBappid {config.app_id}{secret_note}", file=sys.stderr, flush=True)
    try:
        server._thread.join()  # type: ignore[union-attr]
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
