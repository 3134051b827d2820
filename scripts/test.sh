#!/usr/bin/env bash
# The project's test command.
#
#   scripts/test.sh                         # gofmt + vet + all tests
#   scripts/test.sh -run TestX ./internal/...   # extra args go to `go test`
#
# Installs missing test dependencies via apt-get (postgresql, ffmpeg,
# sip-tester, curl, gcc for -race), starts a throwaway PostgreSQL
# (scripts/pg-throwaway.sh) unless VIONET_TEST_PG_DSN is already set, exports
# VIONET_TEST_PG_DSN, then runs gofmt -l, go vet and go test -race.
# Package patterns among the args (./..., ./x, github.com/vionet/vionet/...)
# replace ./... for go vet and go test; if none is given, ./... is used.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

say() { echo "==> $*" >&2; }
die() { echo "test.sh: ERROR: $*" >&2; exit 1; }

if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
	export PATH=/usr/local/go/bin:$PATH
fi
command -v go >/dev/null 2>&1 || die "go not found on PATH"
export GOFLAGS=${GOFLAGS:--buildvcs=false}

# ---- dependencies ---------------------------------------------------------
ensure_deps() {
	local missing=()
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && id postgres >/dev/null 2>&1 ||
		missing+=(postgresql)
	command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
	command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
	command -v sipp >/dev/null 2>&1 || missing+=(sip-tester)
	command -v curl >/dev/null 2>&1 || missing+=(curl)
	command -v gcc >/dev/null 2>&1 || missing+=(gcc libc6-dev) # go test -race needs cgo
	((${#missing[@]} == 0)) && return 0

	say "installing missing packages: ${missing[*]}"
	local sudo=()
	if [[ $EUID -ne 0 ]]; then
		command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to install: ${missing[*]}"
		sudo=(sudo)
	fi
	local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600)
	local aptlog
	aptlog=$(mktemp /tmp/vionet-apt.XXXXXX)
	if ! { "${apt[@]}" update -q && "${apt[@]}" install -y -q --no-install-recommends "${missing[@]}"; } \
		</dev/null >"$aptlog" 2>&1; then
		tail -n 40 "$aptlog" >&2
		die "apt-get failed installing: ${missing[*]} (full log: $aptlog)"
	fi
	rm -f "$aptlog"
	say "installed: ${missing[*]}"
}
ensure_deps

# versitygw: the S3-compatible server the S3 tests start (they skip without it). Built once
# into $(go env GOPATH)/bin and kept there (the build cache makes a rebuild cheap too).
ensure_versitygw() {
	local bin
	bin="$(go env GOPATH | cut -d: -f1)/bin/versitygw"
	[[ -x $bin ]] && return 0
	say "installing versitygw (go install, ~90 s the first time)"
	GOBIN=$(dirname "$bin") go install github.com/versity/versitygw/cmd/versitygw@v1.8.0 ||
		die "go install versitygw failed"
}
ensure_versitygw

# ---- arguments ------------------------------------------------------------
test_args=("$@")
pkgs=()
for a in "$@"; do
	case $a in
	. | ./* | ../* | ...* | github.com/vionet/vionet*) pkgs+=("$a") ;;
	esac
done
if ((${#pkgs[@]} == 0)); then
	pkgs=(./...)
	test_args+=(./...)
fi

# ---- PostgreSQL -----------------------------------------------------------
PG_STATE=
cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	if [[ -n $PG_STATE && -s $PG_STATE ]]; then
		PG_THROWAWAY_STATE=$PG_STATE "$ROOT/scripts/pg-throwaway.sh" stop ||
			echo "test.sh: WARNING: failed to stop throwaway postgres (state $PG_STATE)" >&2
	fi
	[[ -z $PG_STATE ]] || rm -f "$PG_STATE"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if [[ -n ${VIONET_TEST_PG_DSN:-} ]]; then
	say "using VIONET_TEST_PG_DSN from the environment"
else
	PG_STATE=$(mktemp /tmp/vionet-pg-state.XXXXXX)
	say "starting throwaway postgres"
	VIONET_TEST_PG_DSN=$(PG_THROWAWAY_STATE=$PG_STATE "$ROOT/scripts/pg-throwaway.sh" start) ||
		die "could not start throwaway PostgreSQL (set VIONET_TEST_PG_DSN to use an existing server)"
	[[ -n $VIONET_TEST_PG_DSN ]] || die "pg-throwaway.sh printed no DSN"
fi
export VIONET_TEST_PG_DSN

# ---- gofmt ----------------------------------------------------------------
say "gofmt -l"
gofiles=()
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	while IFS= read -r -d '' f; do
		if [[ -f $f ]]; then gofiles+=("$f"); fi
	done < <(git ls-files -z -- '*.go' ':!:vendor/**' ':!:testdata/**' ':!:**/testdata/**')
else
	while IFS= read -r -d '' f; do gofiles+=("$f"); done < <(
		find . -name '*.go' -not -path './vendor/*' -not -path '*/testdata/*' -print0)
fi
if ((${#gofiles[@]} > 0)); then
	unformatted=$(gofmt -l "${gofiles[@]}") || die "gofmt failed (syntax errors?)"
	if [[ -n $unformatted ]]; then
		echo "$unformatted" >&2
		die "files above are not gofmt-formatted (run: gofmt -w <files>)"
	fi
fi

# ---- go vet ---------------------------------------------------------------
say "go vet ${pkgs[*]}"
go vet "${pkgs[@]}" || die "go vet failed"

# ---- go test --------------------------------------------------------------
say "go test -race -count=1 -timeout 20m ${test_args[*]}"
go test -race -count=1 -timeout 20m "${test_args[@]}"
