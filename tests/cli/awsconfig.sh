# s3put configured exactly as the AWS CLI is (issue 12): the AWS CLI v2
# (Debian's awscli) and s3put, given the same configuration, send their
# requests through one recording stand-in for S3 and STS
# (tests/cli/awsworld.py, an HTTPS-intercepting proxy for *.amazonaws.com
# that checks every SigV4 signature with botocore); both must use the same
# access key, region (the credential scope) and endpoint.  Then STS roles,
# the 301 redirect, a TLS endpoint with a private CA, ExpiredToken, and
# the storage options, with no secret in any message.
. "$QP_ROOT/tests/lib.sh"
s3rver_start lake
AWS=/usr/bin/aws
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION
echo "eyJhbGciOiJSUzI1NiJ9.invented-web-identity-token.$$" >"$T/webtoken"
awsworld_start --bucket-region lake=eu-north-1 --web-token-file "$T/webtoken" \
    --key AKIDDEFAULT:secret-default --key AKIDLAKE:secret/lake+key \
    --key AKIDCONFIG:secret-config --key AKIDENV:secret-env-xyz \
    --key AKIDPROC:secret-proc/abc --key AKIDBASE:secret-base=q \
    --key AKIDTOK1:secret-tok1:token-of-tok/1= --key AKIDTOK2:secret-tok2:token-of-tok/2=
export HTTPS_PROXY=$AWS_WORLD_URL AWS_CA_BUNDLE=$WORLD_CA
echo '{"symbol":"SYM-0001","current_price":1.5}' >"$T/rec.jsonl"
mkdir -p "$T/home"
export HOME=$T/home AWS_CONFIG_FILE=$T/config AWS_SHARED_CREDENTIALS_FILE=$T/credentials

# summary LOG: the first request to S3 in LOG (the world's log), as "KEY
# REGION HOST SIG": whatever the method (the AWS CLI's first is the PUT,
# s3put's the HEAD of the bucket), so that a wrong region shows before
# S3's redirect could mend it.  A key STS issued is named by the call that
# issued it ("AssumeRole(ROLE,SESSION,EXTERNAL_ID,DURATION) by KEY at
# HOST/REGION"), since each client is issued a key of its own.
summary() {
	/usr/bin/python3 - "$1" <<'PY'
import json, sys
issued, out = {}, []
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
for e in lines:                 # in order: a signer was issued before
    if e.get("service") == "sts" and e.get("issued_key"):
        s, c = e.get("sts") or {}, e.get("cred") or {}
        signer = c.get("access_key", "unsigned")
        issued[e["issued_key"]] = "%s(%s,%s,%s,%s) by %s at %s/%s" % (
            s.get("Action"), s.get("RoleArn"), s.get("RoleSessionName"),
            s.get("ExternalId", "-"), s.get("DurationSeconds", "-"),
            issued.get(signer, signer), e.get("host"), c.get("region", "-"))
for e in lines:
    if e.get("service") != "s3":
        continue
    c = e.get("cred") or {}
    k = c.get("access_key")
    out.append("%s %s %s %s" % (issued.get(k, k), c.get("region"), e.get("host"), e.get("sig")))
print("; ".join(out[:1]))
PY
}

# diffcase NAME [OPTION...]: aws s3 cp and s3put, each with the
# options, the environment and files as they are; compared on the first
# request of each to S3.  CLI_EXTRA: options only the AWS CLI gets (--endpoint-url
# where s3put reads the same endpoint from a variable the AWS CLI 2.9
# predates).
diffcase() {
	local name=$1 crc prc cli put; shift
	: >"$T/world.log"
	rm -rf "$HOME/.aws/cli/cache"	# the AWS CLI's cache of assumed roles
	# shellcheck disable=SC2086
	$AWS s3 cp "$T/rec.jsonl" "s3://lake/diff/$name/cli.jsonl" "$@" ${CLI_EXTRA:-} \
	    >"$T/cli.out" 2>&1; crc=$?
	cp "$T/world.log" "$T/$name.cli.log"
	: >"$T/world.log"
	s3put -vv --max-records 1 "$@" "s3://lake/diff/$name/" <"$T/rec.jsonl" \
	    >"$T/acks" 2>"$T/err.$name"; prc=$?
	cp "$T/world.log" "$T/$name.put.log"
	cli=$(summary "$T/$name.cli.log")
	put=$(summary "$T/$name.put.log")
	# Every request to S3 or STS signed right (web identity: unsigned).
	if [ "$crc $prc" = "0 0" ] && [ -n "$cli" ] && [ "$cli" = "$put" ] &&
	    [ "$(cat "$T/$name.put.log" "$T/$name.cli.log" | jq -r 'select(.service) |
	    select(.sig != "ok" and (.sig != "unsigned" or .sts.Action != "AssumeRoleWithWebIdentity")) | .sig')" = "" ]; then
		ok "$name: the AWS CLI and s3put sign as the same key, for the same region and host: $put"
	else
		not_ok "$name: the AWS CLI and s3put differ, or failed"
		echo "#   aws (exit $crc): $cli"; echo "#   s3put (exit $prc): $put"
		tail -n 3 "$T/cli.out" "$T/err.$name" | sed 's/^/#   /'
	fi
}

creds() { cat >"$T/credentials"; }
config() { cat >"$T/config"; }
# role_config: a profile with keys (base) and a role it assumes (writer).
role_config() {
	cat <<'EOF'
[profile base]
region = eu-north-1
aws_access_key_id = AKIDBASE
aws_secret_access_key = secret-base=q
[profile writer]
region = eu-north-1
role_arn = arn:aws:iam::123456789012:role/quotes-writer
source_profile = base
role_session_name = quotepipe-test
external_id = ext-7
duration_seconds = 1800
EOF
}

# --- 1. The differential cases ---------------------------------------------
creds <<'EOF'
[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = secret-default
[lake]
aws_access_key_id = AKIDLAKE
aws_secret_access_key = secret/lake+key
[other]
aws_access_key_id = AKIDLAKE
aws_secret_access_key = secret/lake+key
EOF
config <<'EOF'
[default]
region = eu-north-1
[profile lake]
region = eu-north-1
[profile other]
region = us-west-2
EOF
diffcase default-profile
AWS_PROFILE=lake diffcase config-region-of-AWS_PROFILE
AWS_PROFILE=other diffcase --profile-over-AWS_PROFILE --profile lake
AWS_ACCESS_KEY_ID=AKIDENV AWS_SECRET_ACCESS_KEY=secret-env-xyz AWS_PROFILE=lake \
    diffcase environment-keys-over-AWS_PROFILE
AWS_ACCESS_KEY_ID=AKIDENV AWS_SECRET_ACCESS_KEY=secret-env-xyz \
    diffcase --profile-over-environment-keys --profile lake
AWS_PROFILE=other AWS_REGION=eu-north-1 AWS_DEFAULT_REGION=ap-south-1 \
    diffcase AWS_REGION-over-AWS_DEFAULT_REGION-and-profile
AWS_PROFILE=other AWS_DEFAULT_REGION=eu-north-1 diffcase AWS_DEFAULT_REGION-over-profile
AWS_REGION=us-west-2 diffcase --region-over-AWS_REGION --region eu-north-1

config <<'EOF'
[profile cfgonly]
region = eu-north-1
aws_access_key_id = AKIDCONFIG
aws_secret_access_key = secret-config
[profile both]
region = eu-north-1
aws_access_key_id = AKIDCONFIG
aws_secret_access_key = secret-config
EOF
creds <<'EOF'
[both]
aws_access_key_id = AKIDLAKE
aws_secret_access_key = secret/lake+key
EOF
mv "$T/config" "$T/elsewhere.config"
AWS_CONFIG_FILE=$T/elsewhere.config diffcase keys-only-in-AWS_CONFIG_FILE --profile cfgonly
AWS_CONFIG_FILE=$T/elsewhere.config diffcase credentials-file-over-config-file --profile both

cat >"$T/proc" <<'EOF'
#!/bin/sh
# credential_process: the published format, on stdout.
echo '{"Version": 1, "AccessKeyId": "AKIDPROC", "SecretAccessKey": "secret-proc/abc"}'
EOF
chmod +x "$T/proc"
config <<EOF
[profile proc]
region = eu-north-1
credential_process = "$T/proc" --some 'arg with spaces'
EOF
creds </dev/null
diffcase credential_process --profile proc

# Roles: both clients call AssumeRole through the world; compared on the
# call (role, session name, external id, signer, STS host and region) and
# the S3 request signed with what it issued.
{ role_config; cat <<'EOF'; } | config
[profile chained]
region = eu-north-1
role_arn = arn:aws:iam::123456789012:role/lake-admin
source_profile = writer
role_session_name = chained
[profile fromenv]
region = eu-north-1
role_arn = arn:aws:iam::123456789012:role/from-env
credential_source = Environment
role_session_name = fromenv
[profile webid]
region = eu-north-1
role_arn = arn:aws:iam::123456789012:role/eks-pod
role_session_name = pod-1
EOF
diffcase role_arn+source_profile --profile writer
diffcase role-chain --profile chained
AWS_ACCESS_KEY_ID=AKIDENV AWS_SECRET_ACCESS_KEY=secret-env-xyz \
    diffcase credential_source=Environment --profile fromenv
AWS_WEB_IDENTITY_TOKEN_FILE=$T/webtoken AWS_ROLE_ARN=arn:aws:iam::123456789012:role/eks-pod \
    AWS_ROLE_SESSION_NAME=pod-1 AWS_REGION=eu-north-1 diffcase web-identity-environment
printf 'web_identity_token_file = %s\n' "$T/webtoken" >>"$T/config"
diffcase web_identity_token_file-in-profile --profile webid

# Endpoints: the AWS CLI 2.9 predates AWS_ENDPOINT_URL*, endpoint_url
# and the services section, so it is given the same URL as
# --endpoint-url; s3put must reach it from the variable or file alone.
config <<EOF
[default]
region = eu-north-1
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = secret-default
services = local
[profile ep]
region = eu-north-1
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = secret-default
endpoint_url = $AWS_WORLD_URL
[services local]
s3 =
  endpoint_url = $AWS_WORLD_URL
EOF
CLI_EXTRA="--endpoint-url $AWS_WORLD_URL" diffcase --endpoint-url --endpoint-url "$AWS_WORLD_URL"
CLI_EXTRA="--endpoint-url $AWS_WORLD_URL" AWS_ENDPOINT_URL_S3=$AWS_WORLD_URL \
    AWS_ENDPOINT_URL=http://127.0.0.1:1 diffcase AWS_ENDPOINT_URL_S3-over-AWS_ENDPOINT_URL
CLI_EXTRA="--endpoint-url $AWS_WORLD_URL" diffcase services-section
CLI_EXTRA="--endpoint-url $AWS_WORLD_URL" diffcase profile-endpoint_url --profile ep
# Ignored: both go to AWS's own host (through the world, as CONNECT).
AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true AWS_ENDPOINT_URL=http://127.0.0.1:1 \
    diffcase AWS_IGNORE_CONFIGURED_ENDPOINT_URLS --profile ep
config <<'EOF'
[default]
region = eu-north-1
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = secret-default
s3 =
  addressing_style = path
EOF
diffcase addressing_style-path-in-profile

# --- the storage options, side by side ------------------------------------
: >"$T/world.log"
$AWS s3 cp "$T/rec.jsonl" s3://lake/opts/cli.jsonl --sse aws:kms --sse-kms-key-id alias/lake \
    --acl bucket-owner-full-control --storage-class STANDARD_IA >/dev/null 2>&1; crc=$?
cp "$T/world.log" "$T/opts.cli.log"; : >"$T/world.log"
s3put --max-records 1 --sse aws:kms --sse-kms-key-id alias/lake --acl bucket-owner-full-control \
    --storage-class STANDARD_IA s3://lake/opts/ <"$T/rec.jsonl" >/dev/null 2>"$T/err.opts"; prc=$?
cp "$T/world.log" "$T/opts.put.log"
hdrs() { jq -r 'select(.method=="PUT") | .headers | to_entries[] | select(.key|test("^x-amz-(acl|server-side|storage)";"i")) | "\(.key|ascii_downcase)=\(.value)"' "$1" | sort | tr '\n' ' '; }
signed() { jq -r 'select(.method=="PUT") | .cred.signed_headers[]' "$1" | grep -c '^x-amz-\(acl\|server-side\|storage\)'; }
is "--sse aws:kms --sse-kms-key-id --acl --storage-class: the headers the AWS CLI sends" \
    "$crc $prc $(hdrs "$T/opts.put.log")" "0 0 $(hdrs "$T/opts.cli.log")"
is "  ... all four signed, and the signature checked" \
    "$(signed "$T/opts.put.log") $(jq -r 'select(.method=="PUT") | .sig' "$T/opts.put.log")" "4 ok"
s3put --sse-kms-key-id k s3://lake/x/ </dev/null >/dev/null 2>"$T/err"; rc=$?
is "--sse-kms-key-id without --sse aws:kms: a usage error" "$rc $(grep -c 'needs --sse aws:kms' "$T/err")" "64 1"
s3put --endpoint-url http://user:hunter2@127.0.0.1:1 s3://lake/x/ </dev/null >/dev/null 2>"$T/err"; rc=$?
is "an endpoint URL with user:password@: exit 64, the password not repeated" \
    "$rc $(grep -c 'user name or password' "$T/err") $(grep -c hunter2 "$T/err")" "64 1 0"
for o in "--sse AES128" "--acl everyone" "--storage-class COLD" "--addressing-style sideways" "--profile ''"; do
	eval "s3put $o s3://lake/x/" </dev/null >/dev/null 2>"$T/err"; rc=$?
	is "bad option '$o': exit 64, one line" "$rc $(wc -l <"$T/err")" "64 1"
done
# A multipart object: the options on CreateMultipartUpload, not on the parts.
: >"$T/world.log"
head -c 6000000 /dev/zero | tr '\0' x | fold -w 100 | sed 's/.*/"&"/' >"$T/big.jsonl"
s3put --no-gzip --part-size 5M --sse AES256 --storage-class STANDARD_IA --acl bucket-owner-full-control \
    s3://lake/mp/ <"$T/big.jsonl" >"$T/acks" 2>"$T/err.mp"; rc=$?
is "multipart: the options on CreateMultipartUpload only, every request signed right" \
    "$rc $(jq -r 'select(.service=="s3" and .method!="HEAD") | "\(.method) \(.query|split("&")[0]|split("=")[0]) \(.headers["x-amz-storage-class"] // "-") \(.sig)"' "$T/world.log" | sort | uniq -c | awk '{$1=$1};1' | tr '\n' ';')" \
    "0 1 POST uploadId - ok;1 POST uploads STANDARD_IA ok;2 PUT partNumber - ok;"

# --- 2. STS: the AssumeRole call checked, its credentials used -------------
role_config | config
: >"$T/world.log"
s3put -vv --profile writer --max-records 1 s3://lake/sts/ <"$T/rec.jsonl" >"$T/acks" 2>"$T/err.sts"; rc=$?
is "AssumeRole: signed by the source profile's key for sts in eu-north-1, botocore agrees" \
    "$rc $(jq -r 'select(.service=="sts") | "\(.sts.Action) \(.cred.access_key) \(.cred.service) \(.cred.region) \(.host) \(.sig)"' "$T/world.log")" \
    "0 AssumeRole AKIDBASE sts eu-north-1 sts.eu-north-1.amazonaws.com ok"
is "  ... with the profile's role, session name, external id and duration" \
    "$(jq -r 'select(.service=="sts") | "\(.sts.RoleArn) \(.sts.RoleSessionName) \(.sts.ExternalId) \(.sts.DurationSeconds)"' "$T/world.log")" \
    "arn:aws:iam::123456789012:role/quotes-writer quotepipe-test ext-7 1800"
issued=$(jq -r 'select(.service=="sts") | .issued_key' "$T/world.log")
is "  ... and every S3 request after it carries the issued key and its token (checked)" \
    "$(jq -r 'select(.service=="s3") | "\(.cred.access_key == "'"$issued"'") \(.headers | with_entries(.key |= ascii_downcase) | .["x-amz-security-token"] != null) \(.sig)"' "$T/world.log" | sort -u)" \
    "true true ok"
grep_file "  ... and -v says which role, from where" "access key \*\*\*\*.{4} from role arn:aws:iam::123456789012:role/quotes-writer \(AssumeRole with source profile base\)" "$T/err.sts"
: >"$T/world.log"
AWS_WEB_IDENTITY_TOKEN_FILE=$T/webtoken AWS_ROLE_ARN=arn:aws:iam::123456789012:role/eks-pod AWS_REGION=eu-north-1 \
    s3put -vv --max-records 1 s3://lake/sts/ <"$T/rec.jsonl" >"$T/acks" 2>"$T/err.web"; rc=$?
is "AssumeRoleWithWebIdentity: unsigned, the token file's token accepted; S3 with what it issued" \
    "$rc $(jq -r 'select(.service=="sts") | "\(.sts.Action) \(.sig) \(.status)"' "$T/world.log") $(jq -r 'select(.service=="s3") | .sig' "$T/world.log" | sort -u)" \
    "0 AssumeRoleWithWebIdentity unsigned 200 ok"
grep_file "  ... a session name made as the AWS CLI makes it" '"RoleSessionName": "botocore-session-[0-9]+' "$T/world.log"
echo "not the token" >"$T/badtoken"
AWS_WEB_IDENTITY_TOKEN_FILE=$T/badtoken AWS_ROLE_ARN=arn:aws:iam::123456789012:role/eks-pod AWS_REGION=eu-north-1 \
    s3put s3://lake/sts/ </dev/null >/dev/null 2>"$T/err.badweb"; rc=$?
is "  ... a token STS refuses: exit 78, STS's code in one line" \
    "$rc $(wc -l <"$T/err.badweb") $(grep -c 'AssumeRoleWithWebIdentity at https://sts.eu-north-1.amazonaws.com/: HTTP 400 InvalidIdentityToken' "$T/err.badweb")" "78 1 1"
config <<'EOF'
[profile base]
region = eu-north-1
aws_access_key_id = AKIDBASE
aws_secret_access_key = not-the-secret
[profile writer]
region = eu-north-1
role_arn = arn:aws:iam::123456789012:role/quotes-writer
source_profile = base
EOF
s3put --profile writer s3://lake/sts/ </dev/null >/dev/null 2>"$T/err.badsig"; rc=$?
is "AssumeRole signed with a wrong secret: botocore's check fails, exit 78 with STS's code" \
    "$rc $(grep -c 'AssumeRole at https://sts.eu-north-1.amazonaws.com/: HTTP 403 SignatureDoesNotMatch' "$T/err.badsig") $(jq -r 'select(.service=="sts") | .sig' "$T/world.log" | tail -1)" "78 1 bad"
printf '[profile loop]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = loop2\n[profile loop2]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = loop\n' >>"$T/config"
s3put --profile loop s3://lake/sts/ </dev/null >/dev/null 2>"$T/err"; rc=$?
is "a loop of source profiles: exit 78, one line" "$rc $(grep -c 'makes a loop' "$T/err")" "78 1"
# The STS endpoint, configured as the AWS CLI documents it.
config <<EOF
[profile base]
region = eu-north-1
aws_access_key_id = AKIDBASE
aws_secret_access_key = secret-base=q
[profile writer]
region = eu-north-1
role_arn = arn:aws:iam::123456789012:role/quotes-writer
source_profile = base
role_session_name = via-endpoint
EOF
: >"$T/world.log"
AWS_ENDPOINT_URL_STS=$AWS_WORLD_URL s3put --profile writer --max-records 1 s3://lake/sts/ <"$T/rec.jsonl" >/dev/null 2>&1; rc=$?
is "AWS_ENDPOINT_URL_STS: AssumeRole sent there (plain HTTP), signed for eu-north-1" \
    "$rc $(jq -r 'select(.service=="sts") | "\(.via) \(.cred.region) \(.sig)"' "$T/world.log")" "0 direct eu-north-1 ok"

# --- 3. The 301 case ------------------------------------------------------
config <<'EOF'
[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = secret-default
EOF
# No region anywhere: the global endpoint, signed for us-east-1.
diffcase no-region-anywhere
: >"$T/world.log"
s3put --region us-east-1 --max-records 1 s3://lake/moved/ <"$T/rec.jsonl" >"$T/acks" 2>"$T/err.301"; rc=$?
is "a bucket in eu-north-1 asked in us-east-1: exit 0, the object stored and acked" \
    "$rc $(jq -r .records "$T/acks") $(AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER s3_keys lake moved/ | wc -l)" "0 1 1"
is "  ... the message names both regions and where the wrong one came from, once" \
    "$(grep -c 's3://lake is in region eu-north-1, not us-east-1 (--region): asking there' "$T/err.301")" 1
is "  ... S3 said 301 with x-amz-bucket-region; everything after went to eu-north-1" \
    "$(jq -r 'select(.service=="s3") | "\(.status) \(.host) \(.cred.region)"' "$T/world.log" | uniq | tr '\n' ';')" \
    "301 lake.s3.us-east-1.amazonaws.com us-east-1;200 lake.s3.eu-north-1.amazonaws.com eu-north-1;"
: >"$T/world.log"
s3put --max-records 1 s3://lake/global/ <"$T/rec.jsonl" >"$T/acks" 2>"$T/err.global"; rc=$?
is "no region set: the global endpoint answers 400 AuthorizationHeaderMalformed; the bucket's region, named" \
    "$rc $(jq -r 'select(.service=="s3") | "\(.status) \(.host) \(.cred.region)"' "$T/world.log" | uniq | tr '\n' ';') $(grep -c 'is in region eu-north-1, not us-east-1 (the default)' "$T/err.global")" \
    "0 400 lake.s3.amazonaws.com us-east-1;200 lake.s3.eu-north-1.amazonaws.com eu-north-1; 1"
: >"$T/world.log"
s3put --endpoint-url "$AWS_WORLD_URL" --region ap-south-1 --max-records 1 s3://lake/moved2/ <"$T/rec.jsonl" >"$T/acks" 2>"$T/err.400"; rc=$?
is "a custom endpoint signed for the wrong region: 400 AuthorizationHeaderMalformed, then the bucket's region" \
    "$rc $(jq -r 'select(.service=="s3") | "\(.status) \(.cred.region)"' "$T/world.log" | uniq | tr '\n' ';') $(grep -c 'is in region eu-north-1, not ap-south-1 (--region)' "$T/err.400")" \
    "0 400 ap-south-1;200 eu-north-1; 1"
: >"$T/world.log"
s3cat --region us-west-2 s3://lake/moved/ >"$T/cat" 2>"$T/err.cat301"; rc=$?
is "s3cat: the same redirect, the records read" "$rc $(cat "$T/cat") $(grep -c 'is in region eu-north-1' "$T/err.cat301")" \
    "0 $(cat "$T/rec.jsonl") 1"

# --- 4. TLS with a private CA ---------------------------------------------
: >"$T/world.log"
env -u AWS_CA_BUNDLE s3put --region eu-north-1 s3://lake/tls/ <"$T/rec.jsonl" >/dev/null 2>"$T/err.tls"; rc=$?
is "no CA bundle: the private CA is not trusted, exit 69 with a clear message" \
    "$rc $(grep -c 'SSL certificate problem: unable to get local issuer certificate (the server.s certificate is not signed by a CA trusted here: give its CA with --ca-bundle, AWS_CA_BUNDLE or ca_bundle in the profile)' "$T/err.tls")" "69 1"
env -u AWS_CA_BUNDLE s3put --ca-bundle "$WORLD_CA" --region eu-north-1 --max-records 1 s3://lake/tls/ <"$T/rec.jsonl" >"$T/acks" 2>&1; rc=$?
is "--ca-bundle: stored over TLS" "$rc $(jq -r .records "$T/acks")" "0 1"
printf 'ca_bundle = %s\n' "$WORLD_CA" >>"$T/config"
env -u AWS_CA_BUNDLE s3put --region eu-north-1 --max-records 1 s3://lake/tls/ <"$T/rec.jsonl" >"$T/acks" 2>&1; rc=$?
is "ca_bundle in the profile: stored over TLS" "$rc $(jq -r .records "$T/acks")" "0 1"
AWS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt s3put --region eu-north-1 s3://lake/tls/ <"$T/rec.jsonl" >/dev/null 2>&1; rc=$?
is "AWS_CA_BUNDLE over the profile's ca_bundle (the system's CAs do not know this one)" "$rc" 69
s3cat --region eu-north-1 s3://lake/tls/ >"$T/cat" 2>&1; rc=$?
is "s3cat with AWS_CA_BUNDLE: the records back over TLS" "$rc $(wc -l <"$T/cat")" "0 2"
# The credential endpoints and STS over TLS with the same CA: role above.

# --- 5. ExpiredToken once: the chain read again ---------------------------
cat >"$T/rotating" <<EOF
#!/bin/sh
# A credential_process whose credentials change at each call (the count in
# a file): the first ones, then the second ones from then on.
n=\$(( \$(cat "$T/rotations" 2>/dev/null || echo 0) + 1 )); echo \$n >"$T/rotations"
k=\$([ \$n -eq 1 ] && echo 1 || echo 2)
printf '{"Version": 1, "AccessKeyId": "AKIDTOK%s", "SecretAccessKey": "secret-tok%s", "SessionToken": "token-of-tok/%s="}\n' \$k \$k \$k
EOF
chmod +x "$T/rotating"
config <<EOF
[default]
region = eu-north-1
credential_process = $T/rotating
EOF
echo '[{"match": "^PUT ", "action": "expiredtoken", "times": 1}]' >"$T/world.rules"
: >"$T/world.log"; rm -f "$T/rotations"
s3put -vvv --max-records 1 s3://lake/expired/ <"$T/rec.jsonl" >"$T/acks" 2>"$T/err.expired"; rc=$?
is "ExpiredToken once: the chain read again (credential_process run twice), the PUT sent again with the new token, stored" \
    "$rc $(cat "$T/rotations") $(jq -r 'select(.method=="PUT") | "\(.status) \(.fault // "-") \(.cred.access_key) \(.sig)"' "$T/world.log" | tr '\n' ';') $(jq -r .records "$T/acks")" \
    "0 2 400 expiredtoken AKIDTOK1 ok;200 - AKIDTOK2 ok; 1"
grep_file "  ... said as a warning" "the session token has expired \(ExpiredToken\): credentials read again" "$T/err.expired"
echo '[{"match": "^PUT ", "action": "expiredtoken", "times": 5}]' >"$T/world.rules"
s3put --max-records 1 --retries 0 s3://lake/expired2/ <"$T/rec.jsonl" >"$T/acks" 2>"$T/err.expired2"; rc=$?
is "ExpiredToken again after reading again: not a loop, the run fails with S3's code" \
    "$rc $(wc -l <"$T/acks") $(grep -c 'HTTP 400 ExpiredToken' "$T/err.expired2")" "69 0 1"
echo '[]' >"$T/world.rules"

# A refresh that fails keeps the credentials in hand (good for 200 s
# more) instead of signing with none, and is not tried before each request.
cat >"$T/flaky" <<EOF
#!/bin/sh
# A credential_process that answers once (credentials expiring in 200 s,
# due for a refresh at once), then fails.
n=\$(( \$(cat "$T/flakes" 2>/dev/null || echo 0) + 1 )); echo \$n >"$T/flakes"
[ \$n -eq 1 ] || { echo "flaky: no answer this time" >&2; exit 1; }
printf '{"Version": 1, "AccessKeyId": "AKIDTOK1", "SecretAccessKey": "secret-tok1", "SessionToken": "token-of-tok/1=", "Expiration": "%s"}\n' "\$(date -u -d '+200 seconds' +%Y-%m-%dT%H:%M:%SZ)"
EOF
chmod +x "$T/flaky"
config <<EOF
[default]
region = eu-north-1
credential_process = $T/flaky
EOF
: >"$T/world.log"; rm -f "$T/flakes"
quote_lines 3 | s3put --max-records 1 s3://lake/flaky/ >"$T/acks" 2>"$T/err.flaky"; rc=$?
is "a refresh that fails: the credentials in hand still sign every request (3 stored), one warning" \
    "$rc $(wc -l <"$T/acks") $(jq -r 'select(.service=="s3") | "\(.cred.access_key) \(.sig)"' "$T/world.log" | sort -u) $(grep -c 'refreshing AWS credentials: profile default: credential_process .* exited 1' "$T/err.flaky")" \
    "0 3 AKIDTOK1 ok 1"

# No secret, token or assumed-role key in any message, at any -v.
cat "$T"/err.* "$T/cli.out" >"$T/all-stderr" 2>/dev/null
secrets='secret-default|secret/lake|secret-config|secret-env-xyz|secret-proc|secret-base|secret-tok|token-of-tok|invented-web-identity|not-the-secret'
issued_keys=$(jq -r '.issued.AccessKeyId // empty, .issued.SecretAccessKey // empty, .issued.SessionToken // empty' "$T"/*.log 2>/dev/null | sort -u | paste -sd'|')
is "no secret, token, web identity token or assumed-role credential in any message (-vv, -vvv)" \
    "$(grep -cE "$secrets${issued_keys:+|$issued_keys}" <(cat "$T"/err.*))" 0
done_testing
