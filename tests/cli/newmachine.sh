# A new machine: `make demo` in a clean clone of this repository, inside
# a Debian 12 root that holds only what a new machine here has before the
# project touches it: debootstrap's minbase with gcc, make, git, python3
# and ca-certificates, plus this machine's Node.js and npm, its apt
# sources and its CA bundle.  Run with chroot; the root lives under
# build/newmachine/ and is removed afterwards.  The README's promise,
# checked from nothing: the host's packages cannot hide a missing step.
. "$QP_ROOT/tests/lib.sh"
NM=$QP_ROOT/build/newmachine
R=$NM/root
LOG=$NM/log

if [ "$(id -u)" -ne 0 ]; then
	skip "a new machine needs root (debootstrap, chroot, mount)"
	done_testing
fi
if ! git -C "$QP_ROOT" rev-parse --verify -q HEAD >/dev/null; then
	skip "$QP_ROOT is not a git clone: nothing to clone into the new machine"
	done_testing
fi
command -v debootstrap >/dev/null || { not_ok "debootstrap is not installed (tests/deps.sh)"; done_testing; }

# Everything mounted under the root, deepest first.
nm_mounts() { awk -v r="$R" 'index($2, r "/") == 1 { print $2 }' /proc/mounts | sort -r; }
nm_cleanup() {
	local p m
	# Processes still inside the root (a demo that left a server behind).
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$R" ] && kill -KILL "${p#/proc/}" 2>/dev/null
	done
	for m in $(nm_mounts); do umount -l "$m" 2>/dev/null; done
	if [ -n "$(nm_mounts)" ]; then
		echo "# still mounted under $R: not removing it"
	elif [ -z "${QP_KEEP_NEWMACHINE:-}" ]; then
		rm -rf --one-file-system "$NM"
	fi
}
# One new machine at a time in a tree: a second run waits for the first.
mkdir -p "$QP_ROOT/build"
exec 7>"$QP_ROOT/build/newmachine.lock"
flock -w 600 7 || { not_ok "another newmachine run holds build/newmachine.lock"; done_testing; }
trap 'nm_cleanup; cleanup' EXIT
nm_cleanup
mkdir -p "$NM"
: >"$LOG"

# The Debian mirror this machine's apt uses (deb822 or one-line sources),
# so that nothing here names a host.
mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
	/^URIs:/ { u = $2 } /^Suites:/ { if ($0 ~ / bookworm( |$)/ && u != "") { print u; exit } }')
[ -n "$mirror" ] || mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
	awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }')
if [ -z "$mirror" ]; then
	not_ok "no Debian bookworm source in this machine's apt sources"
	done_testing
fi
# The one test that uses the package registries (as the set-up it checks
# does): on a machine that cannot reach them, it says so and skips.
if ! /usr/bin/python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/dists/bookworm/Release", timeout=15)' \
    "$mirror" 2>/dev/null; then
	skip "the Debian mirror of this machine's apt sources does not answer"
	done_testing
fi

# --- the new machine -----------------------------------------------------
t0=$(date +%s)
debootstrap --variant=minbase --include=gcc,make,git,python3,ca-certificates \
    bookworm "$R" "$mirror" >>"$LOG" 2>&1; rc=$?
t1=$(date +%s)
if [ "$rc" -ne 0 ]; then
	not_ok "debootstrap of a Debian 12 root (exit $rc)"
	tail -5 "$LOG" | sed 's/^/#   /'
	done_testing
fi
ok "a Debian 12 root from debootstrap ($((t1 - t0)) s)"

# What this machine has that every new machine here has too: its apt
# sources and settings, name resolution, the CAs it trusts (some only in
# its bundle: kept as local certificates so that the root's own
# update-ca-certificates keeps them), Node.js with npm and npm's settings.
rm -f "$R/etc/apt/sources.list"
cp -a /etc/apt/sources.list* "$R/etc/apt/" 2>/dev/null
cp -a /etc/apt/apt.conf.d/. "$R/etc/apt/apt.conf.d/"
cp -L /etc/resolv.conf "$R/etc/resolv.conf"
/usr/bin/python3 - /etc/ssl/certs/ca-certificates.crt "$R/etc/ssl/certs/ca-certificates.crt" \
    "$R/usr/local/share/ca-certificates" <<'PY' >>"$LOG" 2>&1
import os, re, sys
pem = lambda f: re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", open(f).read(), re.S)
new = set(pem(sys.argv[2]))
os.makedirs(sys.argv[3], exist_ok=True)
for i, c in enumerate(c for c in pem(sys.argv[1]) if c not in new):
    open(os.path.join(sys.argv[3], "host-%d.crt" % i), "w").write(c + "\n")
PY
chroot "$R" update-ca-certificates >>"$LOG" 2>&1
if [ -x /usr/bin/node ] && [ -d /usr/lib/node_modules/npm ]; then
	cp -a /usr/bin/node "$R/usr/bin/"
	cp -a /usr/lib/node_modules "$R/usr/lib/"
	ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$R/usr/bin/npm"
	ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$R/usr/bin/npx"
	for f in /etc/npmrc /usr/etc/npmrc; do
		[ -f "$f" ] && mkdir -p "$R${f%/*}" && cp "$f" "$R$f"
	done
	[ -f "$HOME/.npmrc" ] && cp "$HOME/.npmrc" "$R/root/.npmrc"
else
	chroot "$R" apt-get update -q >>"$LOG" 2>&1
	DEBIAN_FRONTEND=noninteractive chroot "$R" apt-get install -y -q nodejs npm >>"$LOG" 2>&1
fi
mount -t proc proc "$R/proc"
# A /dev of its own (not the host's bound in: nothing under build/ may
# ever lead rm -rf into the host's devices).
mount -t tmpfs -o mode=755 nmdev "$R/dev"
for d in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
	IFS=: read -r name major minor <<<"$d"
	mknod -m 666 "$R/dev/$name" c "$major" "$minor"
done
ln -s /proc/self/fd "$R/dev/fd"
for i in 0 1 2; do ln -s "/proc/self/fd/$i" "$R/dev/$(echo stdin stdout stderr | cut -d' ' -f$((i + 1)))"; done
mkdir -p "$R/dev/shm" "$R/dev/pts"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$R/dev/pts" && ln -s pts/ptmx "$R/dev/ptmx"

# A clean environment, but for the CA settings every machine here has in
# its environment (npm, curl and Python find the bundle through them).
nm_env=(HOME=/root LANG=C.UTF-8 TERM=dumb PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
while IFS= read -r v; do nm_env+=("$v"); done < <(env | grep -E '^(NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|CURL_CA_BUNDLE|REQUESTS_CA_BUNDLE|AWS_CA_BUNDLE|GIT_SSL_CAINFO)=')

in_root() { chroot "$R" /usr/bin/env -i "${nm_env[@]}" "$@"; }
have=$(in_root sh -c 'for t in gcc make git python3 node npm; do command -v $t >/dev/null && echo $t; done' | tr '\n' ' ')
is "  ... with what a new machine has" "$have" "gcc make git python3 node npm "
lacking=$(in_root sh -c 'command -v pkg-config jq kcat aws; for p in librdkafka-dev libcurl4-openssl-dev libjq-dev zlib1g-dev libssl-dev; do dpkg-query -W -f="\${Status}\n" $p 2>/dev/null | grep -q "ok installed" && echo $p; done' | wc -l)
is "  ... and none of the project's packages (pkg-config, the -dev libraries, jq, kcat, aws)" "$lacking" 0

# --- make demo in a clean clone --------------------------------------------
# QP_NEWMACHINE_COMMIT picks another commit (to show that an older
# Makefile fails here); the default is HEAD, without uncommitted changes.
head=$(git -C "$QP_ROOT" rev-parse "${QP_NEWMACHINE_COMMIT:-HEAD}")
echo "# the clone is at $head"
[ -z "${QP_NEWMACHINE_COMMIT:-}" ] && [ -n "$(git -C "$QP_ROOT" status --porcelain --untracked-files=no)" ] &&
    echo "# the work tree has uncommitted changes: they are not in the clone"
git clone -q --no-local "$QP_ROOT" "$R/root/quotepipe" >>"$LOG" 2>&1 &&
    git -C "$R/root/quotepipe" checkout -q "$head" >>"$LOG" 2>&1
t0=$(date +%s)
in_root timeout 780 /bin/sh -c 'cd /root/quotepipe && make demo' >"$NM/demo.log" 2>&1; rc=$?
t1=$(date +%s)
is "make demo on the new machine, first run: exit 0 ($((t1 - t0)) s)" "$rc" 0
[ "$rc" -eq 0 ] || grep -v '^deps: ' "$NM/demo.log" | tail -8 | sed 's/^/#   /'
grep_file "  ... it installed the Debian packages itself" "^deps: installing .*librdkafka-dev" "$NM/demo.log"
grep_file "  ... and s3rver from npm" "^deps: installing s3rver@" "$NM/demo.log"
grep_file "  ... the producer side sends six cleaned quotes once, not twice" "Kafka holds 6 cleaned quotes" "$NM/demo.log"
grep_file "  ... the consumer side stores them all in S3" "how many rows: 6" "$NM/demo.log"
grep_file "  ... the top mover is found from S3" "Nikkei 225 \(N225-JPN, Japan\): 0.9%" "$NM/demo.log"
grep_file "  ... and the Athena table is printed" "storage.location.template'='s3://lake/quotes/dt=\\$\\{dt\\}/'" "$NM/demo.log"

# The README's second command, `make check`, on the same new machine: it
# installs the test packages (clang, kcat, ...) itself.  Long (the whole
# suite), so only when QP_NEWMACHINE_CHECK is set.
if [ -n "${QP_NEWMACHINE_CHECK:-}" ]; then
	in_root timeout 2400 /bin/sh -c 'cd /root/quotepipe && make check' >"$NM/check.log" 2>&1; rc=$?
	is "make check on the new machine: exit 0 ($(tail -2 "$NM/check.log" | grep passed))" "$rc" 0
	[ "$rc" -eq 0 ] || grep -E '^FAIL|Error' "$NM/check.log" | head -8 | sed 's/^/#   /'
fi
done_testing
