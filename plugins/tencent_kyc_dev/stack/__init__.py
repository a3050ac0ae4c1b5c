"""Run the daily DAG on a real multi-process Airflow, without Docker, and check what a deployment must hold.

``python -m tencent_kyc_dev.stack [--var var/stack] [--date YYYY-MM-DD] [--orders 5000] [--shard-size 1250] ...``
(``--help`` lists every option). It starts, each as an OS process of its own (output in ``<var>/logs/``):

- the Tencent KYC simulator (``python -m tencent_kyc_dev.simulator``) holding ``--orders`` orders a day, with the
  QPS quota raised to ``--qps`` and the token overlap shortened to ``--overlap-seconds``, so that a process
  still signing with a replaced ticket is refused within the run;
- a moto S3 server (``python -m moto.server``) and a bucket in it, for the staging and evidence objects
  (``TENCENT_KYC_STORAGE_ROOT=s3://aws_default@<bucket>/kyc``);
- Airflow's ``api-server``, ``scheduler`` (LocalExecutor, parallelism 8) and ``dag-processor``, on a
  PostgreSQL metadata database, with a fresh AIRFLOW_HOME ``<var>/airflow``, the repository's ``dags/`` and
  ``plugins/``, no examples, and the scheduler's own schedule off (only the triggered run runs).

Databases, dropped and re-created on the PostgreSQL server of ``--postgres`` (its role must be allowed to
create databases): ``<prefix>_airflow`` (metadata, ``airflow db migrate``), ``<prefix>_orders`` (table
``kyc_orders(order_no TEXT, order_date DATE)`` seeded with the simulator's orders of the date),
``<prefix>_warehouse`` (the warehouse) and ``<prefix>_credentials`` (the shared credential store).

Connections are environment variables (``AIRFLOW_CONN_*``), as in the demo: ``tencent_kyc_default`` (the
simulator; ``qps_quota`` = ``--qps``, ``refresh_seconds`` = ``--refresh-seconds``, ``credential_store`` =
``--credential-store``, by default ``database`` through ``tencent_kyc_credentials``), ``aws_default``
(moto), ``tencent_kyc_orders``, ``tencent_kyc_warehouse`` (PostgreSQL) and ``tencent_kyc_pii`` (the HMAC
key). ``TENCENT_KYC_PARALLEL_SHARDS`` is ``--parallel-shards``.

Through the REST API (simple auth manager: user ``admin``, a generated password in
``<var>/airflow/simple_auth_manager_passwords.json``, a JWT from ``POST /auth/token``) it unpauses
``tencent_kyc_ocr_daily``, triggers it with a ``logical_date`` and ``conf`` ``{"order_date", "shard_size"}``,
polls until the run ends (or ``--timeout``), and checks:

- ``run_succeeded``: the DAG run succeeded;
- ``shards_succeeded``: every mapped ``fetch_ocr_results`` task instance (one per shard) succeeded;
- ``shards_concurrent``: at least two of them ran at the same time (their start/end times overlap);
- ``one_token_per_window``: the simulator saw no two token requests within one refresh window;
- ``no_concurrent_token_requests``: never two token requests at once;
- ``no_throttling``: no call refused for the QPS or concurrency quota;
- ``no_auth_refusals``: no call refused for a dead or unknown token or ticket;
- ``warehouse_exactly_once``: ``kyc_order_status`` holds each seeded order of the date exactly once.

It prints a report, writes it to ``<var>/report.json`` and exits 0 only when every check passed. Every
process it started is stopped at the end, also on Ctrl-C or a failure, unless ``--keep-running`` asks to
leave the stack up (for the UI at the printed URL) until Ctrl-C. Logs stay under ``<var>``.
"""


# The package, by concern: config.py (StackConfig, names), services.py (the OS processes), databases.py
# (PostgreSQL), rest.py (Airflow's REST API), report.py (the checks), runner.py (Stack: brings it all up and
# runs the day), __main__.py (the command line).
