#!/bin/sh
# Install the Debian packages that building, `make demo` and `make check`
# need.  As root they are installed; otherwise the exact apt-get line is
# printed and the script fails.
set -e
PKGS="gcc make pkg-config librdkafka-dev libjq-dev libonig-dev libcurl4-openssl-dev zlib1g-dev libssl-dev jq kcat mandoc bsdextrautils python3 python3-kafka bc procps time faketime openssl valgrind"
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages; run as root:" >&2
	echo "  apt-get install -y$missing" >&2
	exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q $missing >/dev/null ||
    { apt-get update -q >/dev/null && apt-get install -y -q $missing >/dev/null; }
