#!/bin/sh
# tests/deps.sh [--test] - install what building and `make demo` need,
# and with --test what `make check` and `make bench` need too: Debian
# packages (as root; otherwise the exact apt-get line is printed and the
# script fails) and s3rver, the S3 API server of the demo and the tests,
# from npm into build/npm (pinned); with --test also DuckDB's Node API
# there (pinned), a reader tests/cli/s3put-readers.sh reads s3put's
# objects back with.  Nothing is read from a package
# before this has run: the Makefile asks pkg-config only afterwards.
set -e
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PKGS="gcc libc6-dev make pkg-config librdkafka-dev libjq-dev libonig-dev libcurl4-openssl-dev zlib1g-dev libdeflate-dev libisal-dev libssl-dev jq awscli python3"
# clang builds the second sanitizer run and the fuzzers; its ASan, UBSan
# and libFuzzer runtimes are in libclang-rt-14-dev, which clang only
# recommends.
[ "${1:-}" = --test ] && PKGS="$PKGS kcat mandoc bsdextrautils python3-kafka python3-botocore python3-pandas python3-yaml bc procps iproute2 time faketime openssl valgrind debootstrap systemd clang libclang-rt-14-dev"
S3RVER=s3rver@3.7.1
DUCKDB=@duckdb/node-api@1.5.6-r.1
command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: missing packages; run as root:" >&2
		echo "  apt-get install -y$missing" >&2
		exit 1
	fi
	echo "deps: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q $missing >/dev/null ||
	    { apt-get update -q >/dev/null && apt-get install -y -q $missing >/dev/null; }
fi
if ! [ -x "$ROOT/build/npm/node_modules/.bin/s3rver" ]; then
	echo "deps: installing $S3RVER into build/npm" >&2
	mkdir -p "$ROOT/build/npm"
	npm install --silent --no-audit --no-fund --prefix "$ROOT/build/npm" "$S3RVER" >/dev/null
fi
if [ "${1:-}" = --test ] && ! [ -d "$ROOT/build/npm/node_modules/@duckdb/node-api" ]; then
	echo "deps: installing $DUCKDB into build/npm" >&2
	mkdir -p "$ROOT/build/npm"
	npm install --silent --no-audit --no-fund --prefix "$ROOT/build/npm" "$DUCKDB" >/dev/null
fi
