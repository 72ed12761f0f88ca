# s3put's input, templates and credentials: bad lines per --on-error, bad
# templates and buckets, and every credential source, with secrets kept
# out of every message.
. "$QP_ROOT/tests/lib.sh"
s3rver_start lake
s3proxy_start "$S3_URL"
stored() { for k in $(s3_keys lake "$1"); do aws3 s3 cp "s3://lake/$k" - | gzip -dc; done; }

# --- bad input ---------------------------------------------------------------
printf '{"a":1,"t":"2023-05-12 10:00:00"}\nnot json\n{"a":2,"t":"2023-05-12T11:00:00Z"}\n{"a":3}\n{"a":4,"t":1683926186}\n' >"$T/bad"
s3put --endpoint "$S3_URL" --time-field .t 's3://lake/bad/%Y%m%d/' <"$T/bad" >"$T/acks" 2>"$T/err"; rc=$?
is "bad lines (not JSON, no time field): exit 65, the good records stored" \
    "$rc $(stored bad/ | jq -c .a | tr '\n' ' ')" "65 1 2 4 "
grep_file "  ... each named by line" '^s3put: <stdin>:2: invalid JSON at byte 1: unexpected character$' "$T/err"
grep_file "  ... with the reason" '^s3put: <stdin>:4: --time-field .t: no time that s3put reads' "$T/err"
is "  ... times as text, ISO 8601 with Z, and epoch seconds all land on the right day" "$(s3_keys lake bad/ | cut -d/ -f2 | sort -u)" 20230512
s3put --endpoint "$S3_URL" --on-error=fail --time-field .t 's3://lake/fail/%Y%m%d/' <"$T/bad" >"$T/acks" 2>"$T/err"; rc=$?
is "--on-error=fail: exit 65 at line 2; the record before it stored and acked" \
    "$rc $(stored fail/ | jq -c .a | tr '\n' ' ')$(wc -l <"$T/acks")" "65 1 1"
s3put --endpoint "$S3_URL" --on-error=skip --time-field .t 's3://lake/skip/' <"$T/bad" >/dev/null 2>&1; rc=$?
is "--on-error=skip: exit 0" "$rc" 0
printf '{"topic":"q","partition":0,"value":1}\n' | s3put --endpoint "$S3_URL" 's3://lake/env/' >/dev/null 2>"$T/err"; rc=$?
is "a broken envelope (no offset) is a bad line" "$rc $(grep -c '<stdin>:1: an envelope needs topic' "$T/err")" "65 1"
# kcat -J's envelope: payload (the message's bytes as a string) and ts.
cat >"$T/kcat" <<'X'
{"topic":"q","partition":0,"offset":7,"tstype":"create","ts":1683926186000,"broker":1,"key":null,"payload":"{\"a\":[1,2]}"}
{"topic":"q","partition":0,"offset":8,"tstype":"create","ts":1683926186000,"broker":1,"key":null,"payload":"not json"}
X
s3put --endpoint "$S3_URL" --no-gzip --max-records 1 's3://lake/kcat/dt=%Y-%m-%d/{topic}/{offset}.jsonl' \
    <"$T/kcat" >"$T/acks" 2>"$T/err"; rc=$?
is "kcat -J lines: stored under ts's day, the payload's JSON as the record, else the string" \
    "$rc $(aws3 s3 cp s3://lake/kcat/dt=2023-05-12/q/00000000000000000007.jsonl - 2>&1) $(aws3 s3 cp s3://lake/kcat/dt=2023-05-12/q/00000000000000000008.jsonl - 2>&1)" \
    '0 {"a":[1,2]} "not json"'
echo '{"a":1}' | s3put --endpoint "$S3_URL" 's3://lake/x/{offset}.gz' >/dev/null 2>"$T/err"; rc=$?
is "a plain record under a template with {offset}: a bad line" "$rc $(grep -c 'not a Kafka envelope' "$T/err")" "65 1"
head -c 3000 /dev/zero | tr '\0' x | sed 's/.*/"&"/' | s3put --endpoint "$S3_URL" --max-line 1K 's3://lake/long/' >/dev/null 2>"$T/err"; rc=$?
is "a line over --max-line: a bad line" "$rc $(grep -c 'longer than 1024 bytes' "$T/err")" "65 1"

# --- bad templates, buckets, endpoints: before any input is read ------------
mkfifo "$T/never"
for t in 's3://lake/x/{nope}/' 's3://lake/x/%Q/' 's3://lake/data.json' 's3://Bad_Bucket/x/' \
    'lake/x/' 's3://lake' 's3://lake//x/'; do
	timeout 10 s3put --endpoint "$S3_URL" "$t" <>"$T/never" >/dev/null 2>"$T/err"; rc=$?
	is "bad target '$t': exit 64 with a one-line reason" "$rc $(wc -l <"$T/err")" "64 1"
done
grep -h . "$T/err" >/dev/null
timeout 10 s3put --endpoint "$S3_URL" 's3://nosuchbucket/x/' <>"$T/never" >/dev/null 2>"$T/err"; rc=$?
is "an unknown bucket: exit 69 before reading input" "$rc $(cat "$T/err")" "69 s3put: s3://nosuchbucket: no such bucket"
timeout 10 s3put --endpoint http://127.0.0.1:1 --retries 0 's3://lake/x/' <>"$T/never" >/dev/null 2>"$T/err"; rc=$?
is "a server that is not there: exit 69 with curl's reason" "$rc $(grep -c "Couldn't connect" "$T/err")" "69 1"
for o in "--part-size 4M" "--gzip-level 0" "--max-records 0" "--max-age x" "--retries 101"; do
	s3put $o 's3://lake/x/' </dev/null >/dev/null 2>"$T/err"; rc=$?
	is "bad option '$o': exit 64" "$rc $([ -s "$T/err" ] && echo said)" "64 said"
done

# --- credentials, in the AWS CLI's order ----------------------------------
SECRET_ENV=S3RVER
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
timeout 10 s3put --endpoint "$S3_URL" 's3://lake/x/' <>"$T/never" >/dev/null 2>"$T/err"; rc=$?
is "no credentials anywhere: exit 78 (EX_CONFIG), saying where it looked" \
    "$rc $(grep -c "no AWS credentials: not in the environment (AWS_ACCESS_KEY_ID), the profile default ($T/no-credentials, $T/no-config), the container endpoint or instance metadata" "$T/err")" "78 1"

# signer KEYID: the access key id the last request through the proxy used.
signer() { tail -1 "$T/proxy.log" | jq -r '.headers.Authorization' | sed -E 's/.*Credential=([^/]+)\/.*/\1/'; }
sigok() { /usr/bin/python3 "$QP_ROOT/tests/cli/sigcheck.py" "$T/proxy.log" "$@" | tail -1; }

# s3rver knows only its own key id, so the proxy answers these requests
# itself; what matters is who signed them, checked by botocore.
echo '[{"match": "", "action": "ok", "times": 1000}]' >"$T/rules"
cat >"$T/credentials" <<'EOF'
[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = secret-default

[qp]
aws_access_key_id=AKIDPROFILE
aws_secret_access_key=secret/profile+key
aws_session_token = token-from-profile
EOF
export AWS_SHARED_CREDENTIALS_FILE=$T/credentials
: >"$T/proxy.log"
echo '{"a":1}' | s3put -vv --endpoint "$PROXY_URL" 's3://lake/cred1/' >/dev/null 2>"$T/err"; rc=$?
is "the shared credentials file, [default]: signed as AKIDDEFAULT" "$rc $(signer) $(sigok secret-default)" "0 AKIDDEFAULT ok"
: >"$T/proxy.log"
echo '{"a":1}' | AWS_PROFILE=qp s3put -vv --endpoint "$PROXY_URL" 's3://lake/cred2/' >/dev/null 2>"$T/err.profile"; rc=$?
is "AWS_PROFILE=qp: its key, secret and session token" \
    "$rc $(signer) $(sigok 'secret/profile+key' token-from-profile)" "0 AKIDPROFILE ok"
grep_file "  ... -v says where the credentials came from, masked" "access key \*\*\*\*FILE from $T/credentials \[qp\]" "$T/err.profile"
echo '{"a":1}' | AWS_PROFILE=nope s3put --endpoint "$PROXY_URL" 's3://lake/x/' >/dev/null 2>"$T/err"; rc=$?
is "AWS_PROFILE naming a missing profile: exit 78" "$rc $(grep -c 'AWS_PROFILE=nope: no such profile' "$T/err")" "78 1"
: >"$T/proxy.log"
echo '{"a":1}' | AWS_ACCESS_KEY_ID=AKIDENV AWS_SECRET_ACCESS_KEY=secret-env AWS_PROFILE=qp \
    s3put --endpoint "$PROXY_URL" 's3://lake/cred3/' >/dev/null 2>&1; rc=$?
is "the environment comes before the file" "$rc $(signer) $(sigok secret-env)" "0 AKIDENV ok"
unset AWS_SHARED_CREDENTIALS_FILE
export AWS_SHARED_CREDENTIALS_FILE=$T/none

# The container endpoint and instance metadata (stand-ins, see awsmeta.py).
/usr/bin/python3 "$QP_ROOT/tests/cli/awsmeta.py" --port-file "$T/meta.port" --log "$T/meta.log" \
    --key-id AKIDMETA --secret 'secret-meta/xyz' --token 'token-meta=' --auth 'Bearer ctoken' \
    >/dev/null 2>&1 &
PIDS+=("$!")
wait_for 10 test -s "$T/meta.port"
META=http://127.0.0.1:$(cat "$T/meta.port")
: >"$T/proxy.log"
echo '{"a":1}' | AWS_CONTAINER_CREDENTIALS_FULL_URI=$META/creds AWS_CONTAINER_AUTHORIZATION_TOKEN='Bearer ctoken' \
    s3put -vv --endpoint "$PROXY_URL" 's3://lake/cred4/' >/dev/null 2>"$T/err.container"; rc=$?
is "the container endpoint (with its authorization token): its key, secret and token" \
    "$rc $(signer) $(sigok 'secret-meta/xyz' 'token-meta=')" "0 AKIDMETA ok"
echo '{"a":1}' | AWS_CONTAINER_CREDENTIALS_FULL_URI=$META/creds AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong \
    s3put --endpoint "$PROXY_URL" 's3://lake/x/' >/dev/null 2>"$T/err"; rc=$?
is "  ... refused (401): exit 78 naming the endpoint" "$rc $(grep -c "container credentials endpoint $META/creds answered 401" "$T/err")" "78 1"
: >"$T/proxy.log"; : >"$T/meta.log"
unset AWS_EC2_METADATA_DISABLED
echo '{"a":1}' | AWS_EC2_METADATA_SERVICE_ENDPOINT=$META s3put -vv --endpoint "$PROXY_URL" \
    's3://lake/cred5/' >/dev/null 2>"$T/err.imds"; rc=$?
is "EC2 instance metadata, IMDSv2: its key, secret and token" \
    "$rc $(signer) $(sigok 'secret-meta/xyz' 'token-meta=')" "0 AKIDMETA ok"
is "  ... a session token first (PUT), then the role and its credentials with it" \
    "$(jq -r '"\(.method) \(.path) \(.headers["X-aws-ec2-metadata-token"] // .headers["X-aws-ec2-metadata-token-ttl-seconds"])"' "$T/meta.log" | tr '\n' ';')" \
    "PUT /latest/api/token 21600;GET /latest/meta-data/iam/security-credentials/ imds-token-123;GET /latest/meta-data/iam/security-credentials/quotepipe-role imds-token-123;"
grep_file "  ... and -v names the role" 'from instance metadata \(role quotepipe-role\)' "$T/err.imds"

# Credentials about to expire (within five minutes) are fetched again
# before the next request, as the AWS CLI does.
/usr/bin/python3 "$QP_ROOT/tests/cli/awsmeta.py" --port-file "$T/meta2.port" --log "$T/meta2.log" \
    --key-id AKIDSHORT --secret 'secret-meta/xyz' --token 'token-meta=' --expires-in 120 \
    >/dev/null 2>&1 &
PIDS+=("$!")
wait_for 10 test -s "$T/meta2.port"
: >"$T/meta2.log"
quote_lines 3 | AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$(cat "$T/meta2.port") \
    s3put --endpoint "$PROXY_URL" --max-records 1 's3://lake/cred6/' >/dev/null 2>"$T/err.refresh"; rc=$?
is "credentials expiring within five minutes are fetched again before each request" \
    "$rc $( [ "$(grep -c 'security-credentials/quotepipe-role' "$T/meta2.log")" -ge 4 ] && echo refreshed)" "0 refreshed"
export AWS_EC2_METADATA_DISABLED=true

echo '[]' >"$T/rules"

# Secrets never appear: not in -vv output, not in errors.
cat "$T"/err* >"$T/all-stderr"
is "no secret or token in any message" \
    "$(grep -cE 'secret-default|secret/profile|token-from-profile|secret-env|secret-meta|token-meta|imds-token|ctoken' "$T/all-stderr")" 0

# A credentials file that never ends (issue 10, item 14): read up to a
# bound, then refused with a message naming it, as a configuration error.
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_PROFILE AWS_SHARED_CREDENTIALS_FILE=/dev/zero \
    timeout 10 s3put --endpoint "$S3_URL" 's3://lake/zero/' <>"$T/never" >/dev/null 2>"$T/err"; rc=$?
is "AWS_SHARED_CREDENTIALS_FILE=/dev/zero: exit 78 at once, one line naming the file" \
    "$rc $(wc -l <"$T/err") $(grep -c '^s3put: /dev/zero: .*larger than' "$T/err")" "78 1 1"
done_testing
