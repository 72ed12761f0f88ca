#!/usr/bin/python3
"""The ack invariant: every ack names an object S3 holds in full.

usage: ackcheck.py ENDPOINT ACKS [INPUT]

For each ack line of ACKS (s3put's stdout), the object is read from the
S3 server at ENDPOINT (directly, not through a fault proxy) and checked:
its size is the ack's bytes, its ETag the ack's etag, a single-part
object's MD5 is its ETag, it is whole gzip (when the key ends .gz) with
exactly the ack's records as lines, every line JSON.  With INPUT, every
record must also be a line of INPUT.  Prints one line per problem and
"acks N ok M"; exits 1 if any ack is not right.
"""
import gzip
import hashlib
import json
import sys
import zlib

import botocore.session
from botocore.config import Config


def main():
    endpoint, acks = sys.argv[1], sys.argv[2]
    inputs = None
    if len(sys.argv) > 3:
        with open(sys.argv[3], "rb") as f:
            inputs = set(f.read().split(b"\n"))
    s3 = botocore.session.get_session().create_client(
        "s3", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="S3RVER", aws_secret_access_key="S3RVER",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
    n = good = 0
    with open(acks) as f:
        for line in f:
            n += 1
            why = check(s3, line, inputs)
            if why:
                print("ack %d: %s: %s" % (n, why, line.strip()[:300]))
            else:
                good += 1
    print("acks %d ok %d" % (n, good))
    sys.exit(0 if n == good else 1)


def check(s3, line, inputs):
    try:
        a = json.loads(line)
    except ValueError:
        return "not JSON"
    try:
        o = s3.get_object(Bucket=a["bucket"], Key=a["key"])
    except Exception as e:   # noqa: BLE001 - the reason is the report
        return "not in S3 (%s)" % type(e).__name__
    body = o["Body"].read()
    if len(body) != a["bytes"]:
        return "%d bytes in S3, the ack says %d" % (len(body), a["bytes"])
    if o["ETag"] != a["etag"]:
        return "ETag %s in S3, the ack says %s" % (o["ETag"], a["etag"])
    if "-" not in a["etag"] and '"%s"' % hashlib.md5(body).hexdigest() != a["etag"]:
        return "its MD5 is not its ETag"
    if a["key"].endswith(".gz"):
        try:
            d = zlib.decompressobj(16 + 15)
            data = d.decompress(body)
            while d.unused_data:     # further gzip members
                rest = d.unused_data
                d = zlib.decompressobj(16 + 15)
                data += d.decompress(rest)
            if not d.eof:
                return "its gzip stream stops short"
        except (zlib.error, gzip.BadGzipFile) as e:
            return "not gzip (%s)" % e
    else:
        data = body
    if data and not data.endswith(b"\n"):
        return "its last line is cut"
    lines = data.split(b"\n")[:-1] if data else []
    if len(lines) != a["records"]:
        return "%d records in S3, the ack says %d" % (len(lines), a["records"])
    for i, r in enumerate(lines):
        try:
            json.loads(r)
        except ValueError:
            return "record %d is not JSON" % (i + 1)
        if inputs is not None and r not in inputs:
            return "record %d is not an input line" % (i + 1)
    return None


if __name__ == "__main__":
    main()
