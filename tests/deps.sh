#!/bin/sh
# Install what building, `make demo` and `make check` need: Debian
# packages (as root; otherwise the exact apt-get line is printed and the
# script fails) and s3rver, the S3 API server of the tests, from npm
# into build/npm (pinned).
set -e
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PKGS="gcc make pkg-config librdkafka-dev libjq-dev libonig-dev libcurl4-openssl-dev zlib1g-dev libssl-dev jq kcat mandoc bsdextrautils python3 python3-kafka python3-botocore awscli bc procps time faketime openssl valgrind"
S3RVER=s3rver@3.7.1
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
