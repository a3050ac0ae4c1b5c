"""Serve the Airflow UI, with the Tencent KYC dashboard, over what ``make run`` produced: ``make dashboard``.

It starts ``airflow api-server`` on the demo's AIRFLOW_HOME (``var/airflow``), with the demo's SQLite
warehouse as the dashboard's warehouse, and one user, ``admin``, whose password it prints (a new one each
time, kept in ``var/airflow/passwords.json``). Ctrl-C stops it. The dashboard is the nav entry "Tencent KYC"
(``/plugin/tencent-kyc``), and each run's page has a "KYC day" tab.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import requests

from tencent_kyc.ui import URL_PREFIX

REPO = Path(__file__).resolve().parents[2]
DEFAULT_PORT = 8080
NAV_PAGE = "/plugin/tencent-kyc"


def serving(url: str) -> bool:
    """Whether an api-server with the dashboard answers at ``url`` (its API refuses an anonymous caller with
    401, where a server without the plugin would answer the UI's page)."""
    try:
        answer = requests.get(f"{url}{URL_PREFIX}/api/dags", timeout=2)
    except requests.RequestException:
        return False
    return answer.status_code == 401


def where(url: str) -> str:
    """The line ``make run`` ends with: the dashboard's address, or how to start it."""
    if serving(url):
        return f"Dashboard: {url}{NAV_PAGE} (the nav entry 'Tencent KYC'; each run's page has a 'KYC day' tab)"
    return f"Dashboard: run `make dashboard`, then open {url}{NAV_PAGE}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tencent_kyc_dev.dashboard", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})")
    parser.add_argument("--var", type=Path, default=REPO / "var", help="the demo's folder (default: var/)")
    args = parser.parse_args(argv)
    var = args.var.resolve()
    warehouse = var / "demo" / "warehouse.db"
    if not warehouse.exists():
        raise SystemExit(f"no warehouse at {warehouse}: run `make run` first")
    home = var / "airflow"
    password = secrets.token_urlsafe(12)
    (home / "passwords.json").write_text(json.dumps({"admin": password}))
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW_CONN_TENCENT_KYC_WAREHOUSE": json.dumps({"conn_type": "sqlite", "host": str(warehouse)}),
    }
    url = f"http://127.0.0.1:{args.port}"
    print(f"Airflow UI on {url}: user admin, password {password}")
    print(f"Dashboard: {url}{NAV_PAGE}   (Ctrl-C stops the server)", flush=True)
    command = [sys.executable, "-m", "airflow", "api-server", "-H", "127.0.0.1", "-p", str(args.port), "-w", "1"]
    with contextlib.suppress(KeyboardInterrupt):
        subprocess.run(command, env=env, check=False)


if __name__ == "__main__":
    main()
