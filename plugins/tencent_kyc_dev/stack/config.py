"""What a stack run is: its settings (:class:`StackConfig`), the names it uses, and the error it raises."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from tencent_kyc.operators.fetch import DEFAULT_CONCURRENCY

REPO = Path(__file__).resolve().parents[3]
DAG_ID = "tencent_kyc_ocr_daily"
FETCH_TASK = "fetch_ocr_results"
DEFAULT_POSTGRES = "postgresql://kyc_test:kyc_test@127.0.0.1:5432/kyc_test"
USERNAME = "admin"
SIMPLE_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
#: Databases of a stack, by role: name suffixes.
DATABASES = ("airflow", "orders", "warehouse", "credentials")


class StackError(RuntimeError):
    """The stack could not be brought up or driven; the message says which part and where its log is."""


@dataclass(frozen=True)
class StackConfig:
    """What to run. The defaults are the deployment check: 5,000 orders in 4 shards, about a minute."""

    var: Path = REPO / "var" / "stack"
    day: date = field(default_factory=lambda: datetime.now(UTC).date() - timedelta(days=1))
    orders: int = 5000
    shard_size: int = 1250
    parallel_shards: int = 4
    qps: int = 100
    refresh_seconds: float = 15.0
    overlap_seconds: float = 5.0
    credential_store: str = "database"
    get_file: bool = True
    concurrency: int = DEFAULT_CONCURRENCY
    postgres: str = DEFAULT_POSTGRES
    db_prefix: str = "kyc_stack"
    timeout: float = 600.0

    def __post_init__(self) -> None:
        if self.orders < 1 or self.shard_size < 1 or self.parallel_shards < 1 or self.qps < 1:
            raise ValueError("orders, shard_size, parallel_shards and qps must be positive")
        if self.credential_store not in ("database", "file", "process"):
            raise ValueError("credential_store must be database, file or process")
        if not self.db_prefix.replace("_", "").isalnum() or not self.db_prefix[0].isalpha():
            raise ValueError("db_prefix must be letters, digits and underscores, starting with a letter")

    @property
    def shards(self) -> int:
        return math.ceil(self.orders / self.shard_size)

    def database(self, role: str) -> str:
        return f"{self.db_prefix}_{role}"
