"""The command line of the stack: ``python -m tencent_kyc_dev.stack --help`` (the package docstring says it all)."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import tencent_kyc_dev.stack as package
from tencent_kyc_dev.stack.config import USERNAME, StackConfig
from tencent_kyc_dev.stack.runner import Stack


@contextlib.contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """SIGTERM ends the script like Ctrl-C does: through the ``finally`` that stops every process."""

    def handler(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def build_parser() -> argparse.ArgumentParser:
    defaults = StackConfig()
    parser = argparse.ArgumentParser(
        prog="python -m tencent_kyc_dev.stack",
        description=(package.__doc__ or "").splitlines()[0],
        epilog="\n".join((package.__doc__ or "").splitlines()[2:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--var", type=Path, default=defaults.var, help="folder for AIRFLOW_HOME, logs and the report")
    parser.add_argument("--date", type=date.fromisoformat, default=defaults.day, help="order date (default: yesterday)")
    parser.add_argument("--orders", type=int, default=defaults.orders, help="orders of the date")
    parser.add_argument("--shard-size", type=int, default=defaults.shard_size, help="orders per shard task")
    parser.add_argument("--parallel-shards", type=int, default=defaults.parallel_shards, help="shard tasks at once")
    parser.add_argument(
        "--qps", type=int, default=defaults.qps, help="the simulator's QPS quota (and the connection's)"
    )
    parser.add_argument(
        "--refresh-seconds", type=float, default=defaults.refresh_seconds, help="credential refresh age (connection)"
    )
    parser.add_argument(
        "--overlap-seconds", type=float, default=defaults.overlap_seconds, help="simulator: life of a replaced token"
    )
    parser.add_argument(
        "--credential-store", choices=("database", "file", "process"), default=defaults.credential_store,
        help="the connection's credential store ('process' is expected to fail: one token per task process)",
    )  # fmt: skip
    parser.add_argument("--no-get-file", dest="get_file", action="store_false", help="skip the ID-card photos")
    parser.add_argument("--concurrency", type=int, default=defaults.concurrency, help="requests in flight per shard")
    parser.add_argument("--postgres", default=defaults.postgres, help="DSN of a role allowed to create databases")
    parser.add_argument("--db-prefix", default=defaults.db_prefix, help="prefix of the databases (re-created)")
    parser.add_argument("--timeout", type=float, default=defaults.timeout, help="seconds to wait for the run")
    parser.add_argument("--keep-running", action="store_true", help="leave the stack up after the run until Ctrl-C")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    config = StackConfig(
        var=args.var, day=args.date, orders=args.orders, shard_size=args.shard_size,
        parallel_shards=args.parallel_shards, qps=args.qps, refresh_seconds=args.refresh_seconds,
        overlap_seconds=args.overlap_seconds, credential_store=args.credential_store, get_file=args.get_file,
        concurrency=args.concurrency, postgres=args.postgres, db_prefix=args.db_prefix, timeout=args.timeout,
    )  # fmt: skip
    with _sigterm_as_exit(), Stack(config) as stack:
        report = stack.run()
        (stack.var / "report.json").write_text(report.to_json())
        print(report.describe(), flush=True)
        print(f"report: {stack.var / 'report.json'}; logs: {stack.logs}", flush=True)
        if args.keep_running:
            print(f"Stack left running: {stack.api_url} (user {USERNAME}, password in {stack.passwords_file}).")
            print("Ctrl-C stops it.", flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    stack.services.require_alive()
                    time.sleep(5)
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
