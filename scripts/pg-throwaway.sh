#!/usr/bin/env bash
# Throwaway PostgreSQL server for tests.
#
#   scripts/pg-throwaway.sh start   # prints the DSN (only line on stdout)
#   scripts/pg-throwaway.sh stop    # stops the server and removes its directory
#   scripts/pg-throwaway.sh status  # exit 0 if the recorded server is running
#
# The cluster lives in a fresh temp dir (owned by the postgres OS user), listens
# only on 127.0.0.1 on a free port, keeps its unix socket in that dir and runs
# with durability switched off (fsync, synchronous_commit, full_page_writes).
# Role "vionet" (superuser) and database "vionet" are created; auth is trust.
#
# State (dir, pid, port) is kept in $PG_THROWAWAY_STATE
# (default /tmp/vionet-pg-throwaway.state); use a distinct file per concurrent
# server. Everything except the DSN goes to stderr.
set -euo pipefail

STATE=${PG_THROWAWAY_STATE:-/tmp/vionet-pg-throwaway.state}
PG_USER_OS=postgres

log() { echo "pg-throwaway: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

find_bin() {
	local bin
	bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
	[[ -n $bin && -x $bin/initdb && -x $bin/pg_ctl ]] ||
		die "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (apt-get install postgresql, or run scripts/test.sh which installs it)"
	echo "$bin"
}

# Run a command as the postgres OS user (the server refuses to run as root).
as_pg() {
	if [[ $EUID -eq 0 ]]; then
		(cd / && runuser -u "$PG_USER_OS" -- "$@")
	else
		"$@"
	fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_port() {
	local i p
	for i in $(seq 1 200); do
		p=$((20000 + RANDOM % 40000))
		port_in_use "$p" || { echo "$p"; return 0; }
	done
	die "could not find a free TCP port on 127.0.0.1"
}

read_state() {
	DIR= PID= PORT= BIN=
	[[ -f $STATE ]] || return 1
	local k v
	while IFS='=' read -r k v; do
		case $k in
		DIR) DIR=$v ;; PID) PID=$v ;; PORT) PORT=$v ;; BIN) BIN=$v ;;
		esac
	done <"$STATE"
	[[ -n $DIR ]] # an empty state file (e.g. fresh mktemp) means nothing recorded
}

write_state() {
	local tmp="$STATE.tmp.$$"
	printf 'DIR=%s\nPID=%s\nPORT=%s\nBIN=%s\n' "$DIR" "$PID" "$PORT" "$BIN" >"$tmp"
	mv -f "$tmp" "$STATE"
}

pid_is_postgres() {
	[[ -n ${1:-} && -r /proc/$1/cmdline ]] && tr '\0' ' ' </proc/"$1"/cmdline | grep -q postgres
}

do_stop() {
	if ! read_state; then
		log "no state file $STATE; nothing to stop"
		return 0
	fi
	if [[ -n $DIR && -f $DIR/data/postmaster.pid ]]; then
		local bin=${BIN:-$(find_bin)}
		as_pg "$bin/pg_ctl" -D "$DIR/data" -m immediate -w -t 30 stop >/dev/null 2>&1 ||
			log "pg_ctl stop failed (server may already be gone)"
	fi
	if pid_is_postgres "$PID" && kill -0 "$PID" 2>/dev/null; then
		log "postmaster $PID still alive; sending SIGKILL"
		kill -KILL "$PID" 2>/dev/null || true
		for _ in $(seq 1 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
	fi
	# Only ever remove a directory this script created.
	if [[ -n $DIR && -d $DIR && $(basename "$DIR") == vionet-pg.* ]]; then
		rm -rf -- "$DIR"
	fi
	rm -f -- "$STATE"
}

do_start() {
	if read_state; then
		if pid_is_postgres "$PID" && kill -0 "$PID" 2>/dev/null; then
			die "a server is already recorded in $STATE (pid $PID, port $PORT); run '$0 stop' first or set PG_THROWAWAY_STATE"
		fi
		log "removing stale state $STATE"
		do_stop
	fi

	BIN=$(find_bin)
	if [[ $EUID -eq 0 ]]; then
		id "$PG_USER_OS" >/dev/null 2>&1 || die "OS user '$PG_USER_OS' does not exist (is the postgresql package installed?)"
	fi
	DIR=$(mktemp -d /tmp/vionet-pg.XXXXXX)
	PID= PORT=
	write_state
	# From here on, clean up everything if start does not complete.
	trap 'rc=$?; if [[ $rc -ne 0 ]]; then do_stop; fi' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
	if [[ $EUID -eq 0 ]]; then
		chown "$PG_USER_OS:" "$DIR"
	fi
	chmod 700 "$DIR"

	as_pg "$BIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --locale=C \
		--no-sync --no-instructions >"$DIR/initdb.log" 2>&1 ||
		{ cat "$DIR/initdb.log" >&2; die "initdb failed"; }

	cat >>"$DIR/data/postgresql.conf" <<CONF

# vionet throwaway test server
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
logging_collector = off
log_min_messages = warning
CONF

	local attempt started=
	for attempt in 1 2 3 4 5; do
		PORT=$(pick_port)
		write_state
		if as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/postgres.log" -w -t 60 \
			-o "-p $PORT" start >/dev/null 2>&1; then
			started=1
			break
		fi
		if grep -qiE 'could not (bind|create listen)|address already in use' "$DIR/postgres.log" 2>/dev/null; then
			log "port $PORT taken, retrying ($attempt)"
			: >"$DIR/postgres.log"
			continue
		fi
		break
	done
	if [[ -z $started ]]; then
		tail -n 30 "$DIR/postgres.log" >&2 2>/dev/null || true
		die "could not start postgres (data dir $DIR/data)"
	fi
	PID=$(head -n1 "$DIR/data/postmaster.pid")
	write_state

	local psql=$BIN/psql
	[[ -x $psql ]] || psql=$(command -v psql) || die "psql not found"
	"$psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d postgres \
		-c "CREATE ROLE vionet WITH SUPERUSER LOGIN" \
		-c "CREATE DATABASE vionet OWNER vionet" >&2 ||
		die "could not create role/database vionet"

	log "postgres $(basename "$(dirname "$BIN")") pid $PID on 127.0.0.1:$PORT, dir $DIR"
	trap - EXIT INT TERM HUP
	echo "postgres://vionet@127.0.0.1:$PORT/vionet?sslmode=disable"
}

do_status() {
	read_state || { log "not running (no state file $STATE)"; return 1; }
	if pid_is_postgres "$PID" && kill -0 "$PID" 2>/dev/null; then
		log "running: pid $PID port $PORT dir $DIR"
		return 0
	fi
	log "not running (stale state in $STATE)"
	return 1
}

case ${1:-} in
start) do_start ;;
stop) do_stop ;;
status) do_status ;;
*) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
