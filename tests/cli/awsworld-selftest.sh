# The AWS stand-in (tests/cli/awsworld.py) against the real AWS CLI v2
# (Debian's /usr/bin/aws): the CLI, sent through the world as its HTTPS
# proxy with the test CA, must work as it would against AWS -- profiles,
# AssumeRole, web identity, its own region redirects -- and fail as it
# would on ExpiredToken, while the world's log shows what it sent and
# finds every signature good.  Only the AWS CLI is used here, so this runs
# before the tools are built.
. "$QP_ROOT/tests/lib.sh"

AWS=/usr/bin/aws
[ -x "$AWS" ] || { echo "1..0 # SKIP no AWS CLI at $AWS"; exit 0; }
command -v jq >/dev/null || { echo "1..0 # SKIP no jq"; exit 0; }

s3rver_start lake
AKID=AKIAWORLDSELFTEST001
SECRET='wOrLd/Self+Test=Secret0123456789abcdefgh'
ROLE=arn:aws:iam::123456789012:role/quotes-writer
printf 'eyJhbGciOiJSUzI1NiJ9.%s.c2lnbmF0dXJl\n' \
    "$(printf '{"sub":"system:serviceaccount:quotes:sink","aud":"sts.amazonaws.com","iss":"https://oidc.example.invalid/id/1"}' |
       base64 -w0 | tr '+/' '-_' | tr -d =)" >"$T/web-token"
awsworld_start --key "$AKID:$SECRET" --bucket-region lake=eu-north-1 --web-token-file "$T/web-token"

# The CLI sees only this test's files, the world as its proxy, the test CA.
unset NO_PROXY no_proxy HTTP_PROXY http_proxy https_proxy ALL_PROXY all_proxy \
    AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_REGION \
    AWS_DEFAULT_REGION AWS_ROLE_ARN AWS_ROLE_SESSION_NAME AWS_WEB_IDENTITY_TOKEN_FILE \
    AWS_ENDPOINT_URL AWS_STS_REGIONAL_ENDPOINTS
mkdir -p "$T/home"
export HOME=$T/home        # the CLI caches assumed-role credentials in ~/.aws/cli/cache
export HTTPS_PROXY=$AWS_WORLD_URL AWS_CA_BUNDLE=$WORLD_CA
export AWS_CONFIG_FILE=$T/aws-config AWS_SHARED_CREDENTIALS_FILE=$T/aws-credentials
export AWS_PAGER= AWS_MAX_ATTEMPTS=3
cat >"$AWS_CONFIG_FILE" <<EOF
[profile plain]
region = eu-north-1
[profile role]
region = eu-north-1
role_arn = $ROLE
source_profile = base
role_session_name = qp-selftest
external_id = ext-42
[profile noregion]
role_arn = $ROLE
source_profile = base
role_session_name = qp-noregion
[profile useast]
region = us-east-1
[profile wrongsecret]
region = eu-north-1
EOF
cat >"$AWS_SHARED_CREDENTIALS_FILE" <<EOF
[base]
aws_access_key_id = $AKID
aws_secret_access_key = $SECRET
[plain]
aws_access_key_id = $AKID
aws_secret_access_key = $SECRET
[useast]
aws_access_key_id = $AKID
aws_secret_access_key = $SECRET
[wrongsecret]
aws_access_key_id = $AKID
aws_secret_access_key = not-the-secret
EOF
echo "a quote, stored through the world" >"$T/obj"

aws() { timeout 60 "$AWS" "$@"; }
# stored KEY: the object as s3rver has it, asked directly (not through the world).
stored() {
	env -u HTTPS_PROXY AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1 \
	    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
	    timeout 60 "$AWS" --endpoint-url "$S3_URL" s3 cp "s3://lake/$1" - 2>/dev/null
}
# mark; ...; since: the world's log lines written in between.
mark() { M=$(wc -l <"$T/world.log" 2>/dev/null || echo 0); }
since() { tail -n +$((M + 1)) "$T/world.log"; }
# q JQ: run JQ (slurped) over the lines since the mark.
q() { since | jq -sc "$1"; }
qr() { since | jq -sr "$1"; }
# s3line: a request line as "METHOD HOST PATH STATUS sig [error]".
S3LINE='map(select(.service == "s3")) | map([.method, .host, .path, (.status|tostring), .sig, (.error // empty)] | join(" "))'
ISSUED='map(select(.issued)) | last | .issued'

# --- a profile of its own, region eu-north-1 ----------------------------------
mark
aws --profile plain s3 cp "$T/obj" s3://lake/plain/obj.txt >/dev/null 2>"$T/err"; rc=$?
is "aws s3 cp via HTTPS_PROXY: exit 0, the object in s3rver" "$rc $(stored plain/obj.txt)" "0 $(cat "$T/obj")"
is "  ... one PUT, virtual-hosted at the regional endpoint, signature good" "$(q "$S3LINE")" \
    '["PUT lake.s3.eu-north-1.amazonaws.com /plain/obj.txt 200 ok"]'
is "  ... through CONNECT, signed by the profile's key for eu-north-1/s3" \
    "$(qr 'map(select(.service == "s3")) | .[0] | [.via, .connect_host, .style, .bucket, .key, .cred.access_key, .cred.region, .cred.service] | join(" ")')" \
    "connect lake.s3.eu-north-1.amazonaws.com virtual lake plain/obj.txt $AKID eu-north-1 s3"
is "  ... the body the world saw is the file" "$(qr 'map(select(.service == "s3")) | .[0].sha256')" \
    "$(sha256sum <"$T/obj" | cut -d' ' -f1)"

# --- role_arn + source_profile: AssumeRole, then S3 with what STS issued -----
mark
aws --profile role s3 cp "$T/obj" s3://lake/role/obj.txt >/dev/null 2>"$T/err"; rc=$?
is "a role profile: exit 0, the object in s3rver" "$rc $(stored role/obj.txt)" "0 $(cat "$T/obj")"
is "  ... AssumeRole at sts.eu-north-1, signed by the source profile's key, good" \
    "$(q 'map(select(.service == "sts")) | map([.method, .host, .sts.Action, .cred.access_key, .cred.region, .cred.service, .sig, (.status|tostring)] | join(" "))')" \
    "[\"POST sts.eu-north-1.amazonaws.com AssumeRole $AKID eu-north-1 sts ok 200\"]"
is "  ... with the role, session name and external id" \
    "$(qr 'map(select(.service == "sts")) | .[0].sts | [.RoleArn, .RoleSessionName, .ExternalId] | join(" ")')" \
    "$ROLE qp-selftest ext-42"
issued=$(q "$ISSUED")
is "  ... the world issued ASIA credentials with / + = in secret and token" \
    "$(jq -r '[(.AccessKeyId|test("^ASIA")), (.SecretAccessKey|test("[/+=]")), (.SessionToken|test("/") and test("[+]") and test("=")), (.Expiration|test("^[0-9-]{10}T[0-9:]{8}Z$"))] | map(tostring) | join(" ")' <<<"$issued")" \
    "true true true true"
is "  ... the PUT carries the issued key and its token, signature good" \
    "$(q "map(select(.service == \"s3\")) | map([.method, .host, .cred.access_key == ($issued).AccessKeyId, .headers[\"X-Amz-Security-Token\"] == ($issued).SessionToken, .sig] | map(tostring) | join(\" \"))")" \
    '["PUT lake.s3.eu-north-1.amazonaws.com true true ok"]'

# --- no region anywhere: the global STS endpoint, S3's 400 and the redirect --
mark
aws --profile noregion s3 cp "$T/obj" s3://lake/noregion/obj.txt >/dev/null 2>"$T/err"; rc=$?
is "a role profile without a region: exit 0, the object in s3rver" "$rc $(stored noregion/obj.txt)" "0 $(cat "$T/obj")"
is "  ... AssumeRole at the global sts.amazonaws.com, signed for us-east-1" \
    "$(q 'map(select(.service == "sts")) | map([.host, .cred.region, .sig] | join(" "))')" \
    '["sts.amazonaws.com us-east-1 ok"]'
is "  ... S3 at lake.s3.amazonaws.com: 400 AuthorizationHeaderMalformed, then the CLI goes to eu-north-1" \
    "$(q "$S3LINE")" \
    '["PUT lake.s3.amazonaws.com /noregion/obj.txt 400 ok AuthorizationHeaderMalformed","PUT lake.s3.eu-north-1.amazonaws.com /noregion/obj.txt 200 ok"]'
is "  ... signed for us-east-1, then for eu-north-1, with the issued key each time" \
    "$(q "map(select(.service == \"s3\")) | map(.cred.region + \" \" + (.cred.access_key == ($(q "$ISSUED")).AccessKeyId | tostring))")" \
    '["us-east-1 true","eu-north-1 true"]'

# --- web identity -------------------------------------------------------------
mark
AWS_WEB_IDENTITY_TOKEN_FILE=$T/web-token AWS_ROLE_ARN=$ROLE AWS_REGION=eu-north-1 \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    aws s3 cp "$T/obj" s3://lake/web/obj.txt >/dev/null 2>"$T/err"; rc=$?
is "AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN: exit 0, the object in s3rver" "$rc $(stored web/obj.txt)" "0 $(cat "$T/obj")"
is "  ... AssumeRoleWithWebIdentity, unsigned, with the file's token" \
    "$(q 'map(select(.service == "sts")) | map([.host, .sts.Action, .sig, (.status|tostring), .sts.RoleArn] | join(" "))')" \
    "[\"sts.eu-north-1.amazonaws.com AssumeRoleWithWebIdentity unsigned 200 $ROLE\"]"
issued=$(q "$ISSUED")
is "  ... then S3 with the credentials it issued, signature good" \
    "$(q "map(select(.service == \"s3\")) | map([.cred.access_key == ($issued).AccessKeyId, .headers[\"X-Amz-Security-Token\"] == ($issued).SessionToken, .sig, .status] | map(tostring) | join(\" \"))")" \
    '["true true ok 200"]'
# The CLI keeps what STS issued in ~/.aws/cli/cache, keyed without the
# token: forget it, or it would not ask STS again.
echo not-the-token >"$T/other-token"
rm -rf "$HOME/.aws/cli/cache"
mark
AWS_WEB_IDENTITY_TOKEN_FILE=$T/other-token AWS_ROLE_ARN=$ROLE AWS_REGION=eu-north-1 \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    aws s3 cp "$T/obj" s3://lake/web/bad.txt >/dev/null 2>"$T/err"; rc=$?
is "  ... another token: the CLI fails with InvalidIdentityToken, nothing sent to S3" \
    "$([ "$rc" -ne 0 ] && echo failed) $(grep -c InvalidIdentityToken "$T/err") $(q 'map(select(.service == "s3")) | length')" \
    "failed 1 0"

# --- the bucket is in eu-north-1, the CLI is told us-east-1 -----------------
mark
aws --profile useast s3 cp "$T/obj" s3://lake/east/obj.txt >/dev/null 2>"$T/err"; rc=$?
is "region us-east-1 for an eu-north-1 bucket: exit 0 (the CLI's own redirect), the object in s3rver" \
    "$rc $(stored east/obj.txt)" "0 $(cat "$T/obj")"
is "  ... the log: 301 PermanentRedirect at lake.s3.us-east-1 first, then 200 at eu-north-1" "$(q "$S3LINE")" \
    '["PUT lake.s3.us-east-1.amazonaws.com /east/obj.txt 301 ok PermanentRedirect","PUT lake.s3.eu-north-1.amazonaws.com /east/obj.txt 200 ok"]'
mark
aws --profile useast s3api head-object --bucket lake --key east/obj.txt --query ContentLength >"$T/out" 2>"$T/err"; rc=$?
is "  ... HEAD too (301 without a body; the CLI reads x-amz-bucket-region)" "$rc $(cat "$T/out") $(q "$S3LINE")" \
    "0 $(wc -c <"$T/obj") [\"HEAD lake.s3.us-east-1.amazonaws.com /east/obj.txt 301 ok PermanentRedirect\",\"HEAD lake.s3.eu-north-1.amazonaws.com /east/obj.txt 200 ok\"]"
mark
env -u HTTPS_PROXY aws --profile useast --endpoint-url "$AWS_WORLD_URL" s3 cp "$T/obj" s3://lake/direct/obj.txt >/dev/null 2>"$T/err"; rc=$?
is "plain HTTP, --endpoint-url the world, signed for us-east-1: 400 with <Region>, the CLI re-signs" \
    "$rc $(stored direct/obj.txt) $(q 'map(select(.service == "s3")) | map([.via, .style, .method, .path, (.status|tostring), .cred.region, .sig] | join(" "))')" \
    "0 $(cat "$T/obj") [\"direct path PUT /lake/direct/obj.txt 400 us-east-1 ok\",\"direct path PUT /lake/direct/obj.txt 200 eu-north-1 ok\"]"

# --- a bad signature is refused as AWS would --------------------------------
mark
aws --profile wrongsecret s3 cp "$T/obj" s3://lake/bad/obj.txt >/dev/null 2>"$T/err"; rc=$?
is "a wrong secret: the CLI fails with SignatureDoesNotMatch, the log says sig bad" \
    "$([ "$rc" -ne 0 ] && echo failed) $(grep -c SignatureDoesNotMatch "$T/err") $(q 'map(select(.service == "s3")) | map(.sig + " " + (.status|tostring))')" \
    'failed 1 ["bad 403"]'

# --- a client that does not trust the test CA -------------------------------
mark
AWS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt aws --profile plain s3 cp "$T/obj" s3://lake/untrusted/obj.txt \
    >/dev/null 2>"$T/err"; rc=$?
is "without the test CA the CLI refuses the world's certificate; the log says the handshake failed" \
    "$([ "$rc" -ne 0 ] && echo failed) $(grep -c 'SSL validation failed' "$T/err") $(qr '.[-1] | [.method, .connect_host, (.error | test("^TLS handshake failed"))] | map(tostring) | join(" ")')" \
    "failed 1 CONNECT lake.s3.eu-north-1.amazonaws.com true"

# --- ExpiredToken -------------------------------------------------------------
echo '[{"match": "^PUT lake\\.s3\\.[a-z0-9.-]+ /expired/", "action": "expiredtoken", "times": 1}]' >"$T/world.rules"
rm -rf "$HOME/.aws/cli/cache"
mark
aws --profile role s3 cp "$T/obj" s3://lake/expired/obj.txt >/dev/null 2>"$T/err"; rc=$?
is "an ExpiredToken answer (once): the CLI fails at once, exit 1, saying ExpiredToken" \
    "$rc $(grep -c 'An error occurred (ExpiredToken) when calling the PutObject operation: The provided token has expired.' "$T/err")" "1 1"
is "  ... AssumeRole, one PUT, and nothing after: the CLI neither retries nor asks STS again" \
    "$(q 'map(select(.service)) | map([.method, .host, .path, (.status|tostring), .sig, (.error // empty)] | join(" "))')" \
    '["POST sts.eu-north-1.amazonaws.com / 200 ok","PUT lake.s3.eu-north-1.amazonaws.com /expired/obj.txt 400 ok ExpiredToken"]'
is "  ... nothing stored" "$(stored expired/obj.txt)" ""
echo '[]' >"$T/world.rules"

is "the world's log: every line JSON, every signed request's signature checked" \
    "$(jq -sc '[length > 0, (map(select(.service and .sig != "unsigned" and .sig != "ok")) | map(.sig))]' "$T/world.log")" \
    '[true,["bad"]]'
done_testing
