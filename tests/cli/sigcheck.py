#!/usr/bin/python3
"""Re-sign every request s3proxy.py logged with botocore's SigV4 signer.

An independent check of s3put's signatures (s3rver does not check them):
for each request, botocore's S3SigV4Auth computes the signature from the
method, path, query and the headers s3put says it signed, at the
request's own x-amz-date, and it must equal the one s3put sent.  The
body's SHA-256 and MD5 must equal x-amz-content-sha256 and Content-MD5.

Prints one line per kind of request ("PUT", "POST ?uploads", "PUT
?partNumber", ...) with how many were checked, then "ok" or the first
mismatch; exits 1 on any mismatch.
"""
import json
import re
import sys

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AUTH = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/s3/aws4_request,"
                  r"\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$")


def kind(e):
    q = e["query"]
    name = e["method"]
    for k in ("uploads", "partNumber", "uploadId", "list-type"):
        if k in q:
            return name + " ?" + k
    if "range" in {h.lower() for h in e["headers"]}:
        return name + " (Range)"
    return name


def main():
    log, secret = sys.argv[1], sys.argv[2]
    token = sys.argv[3] if len(sys.argv) > 3 else None
    counts, bad = {}, []
    for line in open(log):
        e = json.loads(line)
        if e["length"] is None:          # a connection the proxy dropped
            continue
        h = {k.lower(): v for k, v in e["headers"].items()}
        m = AUTH.match(h.get("authorization", ""))
        if not m:
            bad.append("%s %s: no SigV4 Authorization" % (e["method"], e["path"]))
            continue
        key_id, date, region, signed, sig = m.groups()
        if h.get("x-amz-content-sha256") != e["sha256"]:
            bad.append("%s %s: x-amz-content-sha256 is not the body's" % (e["method"], e["path"]))
        if e["length"] and h.get("content-md5") != e["md5"]:
            bad.append("%s %s: Content-MD5 is not the body's" % (e["method"], e["path"]))
        url = "http://%s%s%s" % (h["host"], e["path"], "?" + e["query"] if e["query"] else "")
        req = AWSRequest(method=e["method"], url=url,
                         headers={k: h[k] for k in signed.split(";")})
        req.context["timestamp"] = h["x-amz-date"]
        auth = S3SigV4Auth(Credentials(key_id, secret, token), "s3", region)
        want = auth.signature(auth.string_to_sign(req, auth.canonical_request(req)), req)
        k = kind(e)
        counts[k] = counts.get(k, 0) + 1
        if want != sig:
            bad.append("%s %s?%s: s3put signed %s, botocore %s\n%s" %
                       (e["method"], e["path"], e["query"], sig, want, auth.canonical_request(req)))
    for k in sorted(counts):
        print("%s: %d" % (k, counts[k]))
    if bad:
        print("MISMATCH: " + bad[0])
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
