"""The warehouse dialects by Airflow connection type: one module and one registration line per dialect."""

from __future__ import annotations

from airflow.sdk import BaseHook

from tencent_kyc.registry import Registry, UnknownKindError
from tencent_kyc.warehouse.base import Warehouse, WarehouseError
from tencent_kyc.warehouse.postgres import PostgresWarehouse
from tencent_kyc.warehouse.redshift import RedshiftWarehouse
from tencent_kyc.warehouse.sqlite import SqliteWarehouse

DIALECTS: Registry[type[Warehouse]] = Registry(
    "warehouse connection type",
    {
        "sqlite": SqliteWarehouse,
        "postgres": PostgresWarehouse,
        "redshift": RedshiftWarehouse,
    },
)


def warehouse_for(conn_id: str) -> Warehouse:
    """The warehouse of an Airflow connection, by its type; a clear error for an unreadable or unknown one."""
    try:
        connection = BaseHook.get_connection(conn_id)
    except Exception as exc:  # the SDK raises its own not-found error type
        raise WarehouseError(f"warehouse connection {conn_id!r} cannot be read: {exc}") from None
    try:
        dialect = DIALECTS.get(connection.conn_type)
    except UnknownKindError as exc:
        raise WarehouseError(f"warehouse connection {conn_id!r}: {exc}") from None
    return dialect(connection.get_hook(), connection.extra_dejson)
