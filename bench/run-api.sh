#!/usr/bin/env bash
# Runs the in-process API benchmark (bench/api) on SQLite and on a throwaway PostgreSQL.
#
#   bash bench/run-api.sh [-duration 5s] [-conns 64] [-client raw|sdk] [-cpuprofile FILE]
#
# Extra arguments go to `go run ./bench/api`. Needs the PostgreSQL server binaries that
# scripts/pg-throwaway.sh uses (apt-get install postgresql).
set -euo pipefail
cd "$(dirname "$0")/.."

export PG_THROWAWAY_STATE
PG_THROWAWAY_STATE=$(mktemp /tmp/vionet-bench-pg.XXXXXX)
trap 'scripts/pg-throwaway.sh stop || true; rm -f "$PG_THROWAWAY_STATE"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

DSN=$(scripts/pg-throwaway.sh start)
go run ./bench/api -pg "$DSN" "$@"
