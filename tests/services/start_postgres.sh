#!/usr/bin/env bash
# Start the machine's PostgreSQL (installing it if absent) and create the test role and database.
# Idempotent; used by `make test` and CI. Needs root (or a user allowed to run pg_ctlcluster and sudo -u postgres).
set -euo pipefail

if ! command -v pg_lsclusters >/dev/null 2>&1; then
    echo "PostgreSQL is not installed: installing it from Debian's packages" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

read -r version cluster port status _ < <(pg_lsclusters --no-header | head -n 1)
if [[ "$status" != online* ]]; then
    pg_ctlcluster "$version" "$cluster" start
fi

as_postgres() { su postgres -c "psql -p $port -v ON_ERROR_STOP=1 -qAt $*"; }
for _ in $(seq 1 30); do as_postgres "-c 'select 1'" >/dev/null 2>&1 && break; sleep 0.5; done

if [[ "$(as_postgres "-c \"select 1 from pg_roles where rolname = 'kyc_test'\"")" != 1 ]]; then
    as_postgres "-c \"create role kyc_test login createdb password 'kyc_test'\""
fi
# The multi-process stack tests (tests/dev/stack, tencent_kyc_dev.stack) create and drop their own databases
# (metadata, orders, warehouse, credential store): the role must be allowed to, also if it was made earlier.
as_postgres "-c 'alter role kyc_test createdb'"
if [[ "$(as_postgres "-c \"select 1 from pg_database where datname = 'kyc_test'\"")" != 1 ]]; then
    as_postgres "-c 'create database kyc_test owner kyc_test'"
fi
echo "PostgreSQL $version/$cluster on port $port: role kyc_test (createdb) and database kyc_test ready"
