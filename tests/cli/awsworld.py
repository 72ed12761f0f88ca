#!/usr/bin/python3
"""awsworld: a stand-in for the parts of AWS that S3 clients talk to.

This is NOT AWS.  It was written from AWS's published API descriptions --
the STS API reference (AssumeRole, AssumeRoleWithWebIdentity,
GetCallerIdentity, the query protocol's ErrorResponse), the Amazon S3 API
reference (error responses, virtual-hosted and path-style addressing,
x-amz-bucket-region) and the Signature Version 4 documentation -- so a test
can send the project's tools and the real AWS CLI through the same
"world", offline, and compare what they did.  Everything stays on
127.0.0.1: the only connections it makes are to --s3-upstream (s3rver).

How clients reach it
  * As an HTTPS-intercepting forward proxy: run the client with
    HTTPS_PROXY=http://127.0.0.1:PORT and the test CA as its CA bundle
    (AWS_CA_BUNDLE, curl's CA).  On "CONNECT host:443" it answers 200, then
    speaks TLS (server side) on the client's socket with a certificate for
    that host signed by --ca-cert/--ca-key (made with openssl on the fly,
    one per host, cached), and serves HTTP/1.1 requests (keep-alive) in the
    tunnel.  Only hosts under amazonaws.com are accepted.
  * Directly, in plain HTTP (a client with --endpoint-url
    http://127.0.0.1:PORT): path-style S3, or STS when the request carries
    an Action= form body (or query).

Routing by host (the CONNECT host; for direct requests the Host header)
  sts.amazonaws.com, sts.REGION.amazonaws.com            -> STS
  s3.amazonaws.com, s3.REGION.amazonaws.com, s3-REGION.amazonaws.com,
  s3.dualstack.REGION.amazonaws.com, and BUCKET. before any of these -> S3
  anything else under amazonaws.com                     -> 404, logged
S3 requests are turned into path style and forwarded to --s3-upstream with
its own access key in place of the client's (s3rver knows only its own
account and does not check SigV4 signatures); its answer is returned.

Signatures: every SigV4 signature (Authorization header or presigned
query) is checked here with botocore's signer (SigV4Auth for STS,
S3SigV4Auth for S3) at the request's own X-Amz-Date, over exactly the
headers the client says it signed.  For S3 the canonical payload is
x-amz-content-sha256 (which must be sent, and must be the body's SHA-256
unless UNSIGNED-PAYLOAD); for STS it is the body's SHA-256.  Secrets come
from --key AKID:SECRET[:TOKEN] and from every credential the STS stand-in
has issued.  A session key's x-amz-security-token must be its own token.
Outcome, logged as "sig": ok | bad | unknown-key | bad-token | unsigned.
Unless --lenient, what AWS would refuse is refused (403
SignatureDoesNotMatch, InvalidAccessKeyId, 400 InvalidToken, 400
ExpiredToken once an issued credential has expired, 403
RequestTimeTooSkewed beyond 15 minutes, 400 XAmzContentSHA256Mismatch);
unsigned S3 requests are forwarded (s3rver allows anonymous access).

STS (query protocol, Version 2011-06-15, namespace
https://sts.amazonaws.com/doc/2011-06-15/):
  AssumeRole                 signed for service sts by a known key (at a
                             regional host, for that region; at
                             sts.amazonaws.com, us-east-1); RoleArn and
                             RoleSessionName required, DurationSeconds
                             900..43200 (default 3600), ExternalId logged.
  AssumeRoleWithWebIdentity  unsigned; WebIdentityToken must be the
                             contents of --web-token-file (re-read each
                             time), else 400 InvalidIdentityToken.
  GetCallerIdentity          signed; who the key is.
Issued credentials: AccessKeyId ASIA + a counter, a random secret and
session token containing / + =, Expiration now + min(DurationSeconds,
--sts-max-seconds), ISO 8601 with Z.  They are logged on a line of their
own: {"t": ..., "issued": {...}}.

Regions: --bucket-region BUCKET=REGION.  For such a bucket, a request at a
regional host of another region (or path-style at s3.amazonaws.com when
the bucket is not in us-east-1) gets 301 PermanentRedirect (Code, Message,
Bucket, Endpoint); one signed for another region gets 400
AuthorizationHeaderMalformed with <Region>; both carry
x-amz-bucket-region, and a HEAD gets the status and headers only -- what
botocore's S3RegionRedirectorv2 reads to redirect.  GET ?location answers
the bucket's LocationConstraint (for a bucket not listed, s3rver answers).  At a regional host, a bucket not listed
is taken to be in that host's region.

Faults: --rules, a JSON file re-read on every request (counts start anew
whenever the file changes): [{"match": REGEX, "action": A, "times": N}].
REGEX is searched in "METHOD HOST PATH?QUERY" (HOST as in the Host
header); the first rule that matches with times left fires, before any
other check:
  "expiredtoken"  400 ExpiredToken, "The provided token has expired."
                  (STS: its ErrorResponse form)
  "500"           500 InternalError (STS: InternalFailure)
  "slowdown"      503 SlowDown (STS: 400 Throttling)
  "delay:S"       wait S seconds, then go on as usual
  "forward"       go on as usual (to count matches)

Log (--log): one JSON line per request: t, conn (the connection's number),
via ("connect" | "direct"), host (Host header), connect_host, method,
path, query, headers, length/sha256/md5 of the body (length null when the
body was not read: an early answer to "Expect: 100-continue"), status,
service ("s3" | "sts" | null), bucket, key, style ("virtual" | "path"),
host_region, cred ({access_key, date, region, service, signed_headers}
from the SigV4 credential, null if unsigned), sig, sig_detail, error (the
error code the world answered itself), fault (the rule's action); STS
lines add "sts" (the form's parameters) and "issued_key".  A CONNECT is
logged only when it goes wrong (a host it does not play: 403; a TLS
handshake that fails, e.g. a client that does not trust the test CA), as
{"method": "CONNECT", "connect_host", "status", "error"}.
"""
import argparse
import base64
import calendar
import hashlib
import http.client
import http.server
import json
import os
import re
import socketserver
import ssl
import subprocess
import sys
import threading
import time
import uuid
from urllib.parse import parse_qsl, unquote, urlsplit
from xml.sax.saxutils import escape

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

import loopback

ARGS = None
LOCK = threading.Lock()          # the log, the key table, counters
CERT_LOCK = threading.Lock()
CONTEXTS = {}                    # host -> SSLContext
KEYS = {}                        # access key id -> Key
USED = {}
RULES_TEXT = None
COUNTER = {"conn": 0, "issued": 0}

STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED = "UNSIGNED-PAYLOAD"
SKEW = 15 * 60
HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization",
       "te", "trailer", "transfer-encoding", "upgrade", "expect", "host", "content-length"}
AUTH_RE = re.compile(r"AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)/([^/,\s]*)/([^/,\s]*)/([^/,\s]*)/aws4_request"
                     r"\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-fA-F]+)\s*$")
REGION = r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d+"
S3_HOST = re.compile(r"(?:(?P<bucket>.+)\.)?s3(?:\.dualstack)?(?:[.-](?P<region>%s))?" % REGION)
STS_HOST = re.compile(r"sts(?:\.(?P<region>%s))?" % REGION)


class Key:
    def __init__(self, secret, token=None, expires=None, who=None):
        self.secret, self.token, self.expires, self.who = secret, token, expires, who


def now_iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def log(entry):
    with LOCK, open(ARGS.log, "a") as f:
        f.write(json.dumps(entry) + "\n")


def pick_rule(line):
    """The action of the first rule matching LINE with times left (as s3proxy.py)."""
    global RULES_TEXT
    if not ARGS.rules:
        return None
    try:
        with open(ARGS.rules) as f:
            text = "%d\n%s" % (os.fstat(f.fileno()).st_mtime_ns, f.read())
        rules = json.loads(text.split("\n", 1)[1])
    except (OSError, ValueError):
        return None
    with LOCK:
        if text != RULES_TEXT:
            RULES_TEXT = text
            USED.clear()
        for i, r in enumerate(rules):
            if re.search(r["match"], line) and USED.get(i, 0) < r.get("times", 1):
                USED[i] = USED.get(i, 0) + 1
                return r["action"]
    return None


# --- certificates -------------------------------------------------------------

def leaf_context(host):
    """An SSLContext serving a certificate for HOST signed by the test CA."""
    with CERT_LOCK:
        ctx = CONTEXTS.get(host)
        if ctx:
            return ctx
        os.makedirs(ARGS.cert_dir, exist_ok=True)
        base = os.path.join(ARGS.cert_dir, re.sub(r"[^A-Za-z0-9.-]", "_", host))
        ext = base + ".ext"
        with open(ext, "w") as f:
            f.write("subjectAltName=DNS:%s\nbasicConstraints=critical,CA:FALSE\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\n"
                    "authorityKeyIdentifier=keyid,issuer\n" % host)
        run = lambda *a: subprocess.run(["openssl"] + list(a), check=True, capture_output=True,
                                        timeout=30)
        run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", base + ".key", "-subj", "/CN=" + host, "-out", base + ".csr")
        run("x509", "-req", "-in", base + ".csr", "-CA", ARGS.ca_cert, "-CAkey", ARGS.ca_key,
            "-set_serial", "0x" + os.urandom(8).hex(), "-days", "30", "-sha256",
            "-extfile", ext, "-out", base + ".pem")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(base + ".pem", base + ".key")
        ctx.set_alpn_protocols(["http/1.1"])
        CONTEXTS[host] = ctx
        return ctx


# --- signatures ---------------------------------------------------------------

def check_sig(method, scheme, path, query, headers, body, s3):
    """Check the request's SigV4 signature with botocore's signer.

    Returns {"cred", "sig", "sig_detail", "key", "deny"}: deny is (status,
    code, message) for what AWS would refuse besides the signature itself
    (expired credentials or presigned URL, clock skew, a body that is not
    x-amz-content-sha256), or None."""
    out = {"cred": None, "sig": "unsigned", "sig_detail": None, "key": None, "deny": None}
    auth = headers.get("Authorization")
    presigned = auth is None and re.search(r"(^|&)X-Amz-Algorithm=", query)
    if auth is None and not presigned:
        return out
    if auth is not None:
        m = AUTH_RE.match(auth.strip())
        if not m:
            out.update(sig="bad", sig_detail="Authorization is not AWS4-HMAC-SHA256 as SigV4 has it")
            return out
        akid, date, region, service, signed, sig = m.groups()
        amz_date = headers.get("X-Amz-Date")
        token = headers.get("X-Amz-Security-Token")
        canon_query = query
        payload = headers.get("X-Amz-Content-SHA256")
        if payload is None:
            if s3:
                out.update(sig="bad", sig_detail="no x-amz-content-sha256 (S3 requires it)")
                out["deny"] = (400, "InvalidRequest",
                               "Missing required header for this request: x-amz-content-sha256")
            payload = hashlib.sha256(body or b"").hexdigest()
    else:
        q = dict(parse_qsl(query, keep_blank_values=True))
        parts = q.get("X-Amz-Credential", "").split("/")
        if len(parts) != 5 or parts[4] != "aws4_request":
            out.update(sig="bad", sig_detail="X-Amz-Credential is not KEY/DATE/REGION/SERVICE/aws4_request")
            return out
        akid, date, region, service, _ = parts
        signed, sig = q.get("X-Amz-SignedHeaders", ""), q.get("X-Amz-Signature", "")
        amz_date = q.get("X-Amz-Date")
        token = q.get("X-Amz-Security-Token")
        canon_query = "&".join(p for p in query.split("&") if not p.startswith("X-Amz-Signature="))
        payload = UNSIGNED if s3 else hashlib.sha256(body or b"").hexdigest()
        try:
            t0 = calendar.timegm(time.strptime(amz_date or "", "%Y%m%dT%H%M%SZ"))
            if time.time() > t0 + int(q.get("X-Amz-Expires", "0")):
                out["deny"] = (403, "AccessDenied", "Request has expired")
        except ValueError:
            pass
    signed = signed.split(";")
    out["cred"] = {"access_key": akid, "date": date, "region": region, "service": service,
                   "signed_headers": signed}
    out["key"] = akid
    with LOCK:
        key = KEYS.get(akid)
    if key is None:
        out["sig"] = "unknown-key"
        return out
    if not amz_date or not re.fullmatch(r"\d{8}T\d{6}Z", amz_date):
        out.update(sig="bad", sig_detail="no X-Amz-Date in ISO 8601 basic form")
        return out
    if s3 and payload not in (UNSIGNED,) and not payload.startswith("STREAMING-") and \
            body is not None and payload != hashlib.sha256(body).hexdigest():
        out["deny"] = (400, "XAmzContentSHA256Mismatch",
                       "The provided 'x-amz-content-sha256' header does not match what was computed.")
    if payload.startswith("STREAMING-"):
        out["sig_detail"] = "seed signature only; chunk signatures not checked"
    hm = HTTPHeaders()
    for name in signed:
        values = headers.get_all(name)
        if not values:
            out.update(sig="bad", sig_detail="signed header %r was not sent" % name)
            return out
        for v in values:
            hm[name] = v
    url = "%s://world%s%s" % (scheme, path, "?" + canon_query if canon_query else "")
    req = AWSRequest(method=method, url=url, headers={})
    req.context["timestamp"] = amz_date
    signer = (S3SigV4Auth if s3 else SigV4Auth)(Credentials(akid, key.secret, token), service, region)
    canonical = "\n".join([method.upper(), signer._normalize_url_path(urlsplit(url).path),
                           signer.canonical_query_string(req), signer.canonical_headers(hm) + "\n",
                           signer.signed_headers(hm), payload])
    want = signer.signature(signer.string_to_sign(req, canonical), req)
    if want != sig:
        out.update(sig="bad", sig_detail="signature mismatch; the world's canonical request:\n" + canonical)
        return out
    if date != amz_date[:8]:
        out.update(sig="bad", sig_detail="credential date is not X-Amz-Date's")
        return out
    if key.token != token:
        out["sig"] = "bad-token"
        out["sig_detail"] = ("a session key without its token" if token is None else
                             "a token with a long-term key" if key.token is None else
                             "the token of another session")
        return out
    out["sig"] = "ok"
    if out["deny"] is None:
        if key.expires is not None and time.time() >= key.expires:
            out["deny"] = "expired"
        else:
            t0 = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
            if not presigned and abs(time.time() - t0) > SKEW:
                out["deny"] = (403, "RequestTimeTooSkewed",
                               "The difference between the request time and the current time is too large.")
    return out


# --- hosts --------------------------------------------------------------------

def parse_host(host):
    """{"service", "region", "bucket"} for an AWS host name; None if it is not one."""
    h = host.lower().rstrip(".")
    if not h.endswith(".amazonaws.com"):
        return None
    label = h[: -len(".amazonaws.com")]
    m = STS_HOST.fullmatch(label)
    if m:
        return {"service": "sts", "region": m.group("region") or "us-east-1",
                "global": m.group("region") is None, "bucket": None}
    m = S3_HOST.fullmatch(label)
    if m:
        return {"service": "s3", "region": m.group("region"), "global": m.group("region") is None,
                "bucket": m.group("bucket")}
    return {"service": None, "region": None, "global": False, "bucket": None}


def s3_xml_error(code, message, extra=()):
    rid = uuid.uuid4().hex[:16].upper()
    body = "".join("<%s>%s</%s>" % (k, escape(v), k) for k, v in extra)
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message>"
            "%s<RequestId>%s</RequestId><HostId>awsworld</HostId></Error>"
            % (code, escape(message), body, rid)).encode(), rid


def sts_xml_error(code, message, sender=True):
    rid = str(uuid.uuid4())
    return ("<ErrorResponse xmlns=\"%s\">\n  <Error>\n    <Type>%s</Type>\n    <Code>%s</Code>\n"
            "    <Message>%s</Message>\n  </Error>\n  <RequestId>%s</RequestId>\n</ErrorResponse>\n"
            % (STS_NS, "Sender" if sender else "Receiver", code, escape(message), rid)).encode(), rid


# --- the handler -------------------------------------------------------------

class World(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "awsworld"
    timeout = 300
    connect_host = None
    tls = None

    def log_message(self, *a):
        pass

    def setup(self):
        super().setup()
        with LOCK:
            COUNTER["conn"] += 1
            self.conn_id = COUNTER["conn"]

    def handle(self):
        try:
            super().handle()
        except (OSError, ValueError):      # ssl.SSLError is an OSError
            pass

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
        if self.tls is not None:
            try:
                self.tls.close()
            except OSError:
                pass

    def handle_expect_100(self):
        return True                        # answered (or not) by handle_any

    # -- CONNECT: become the host, over TLS
    def do_CONNECT(self):
        host, sep, port = self.path.rpartition(":")
        if not sep or not port.isdigit():
            host = self.path
        host = host.strip("[]").lower()
        if not host.endswith(".amazonaws.com"):
            log({"t": time.time(), "conn": self.conn_id, "via": "connect", "method": "CONNECT",
                 "connect_host": host, "status": 403, "error": "not an amazonaws.com host"})
            self.send_response(403, "awsworld plays only amazonaws.com")
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            return
        try:
            ctx = leaf_context(host)
        except (subprocess.SubprocessError, OSError, ssl.SSLError) as e:
            print("awsworld: no certificate for %s: %s %s" % (host, e, getattr(e, "stderr", b"")),
                  file=sys.stderr)
            self.send_response(502)
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.close_connection = True
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        try:
            tls = ctx.wrap_socket(self.connection, server_side=True)
        except (OSError, ValueError) as e:
            log({"t": time.time(), "conn": self.conn_id, "via": "connect", "method": "CONNECT",
                 "connect_host": host, "status": 200, "error": "TLS handshake failed: %s" % e})
            self.close_connection = True
            return
        self.tls = self.connection = tls
        self.rfile = tls.makefile("rb", -1)
        self.wfile = socketserver._SocketWriter(tls)
        self.connect_host = host
        self.close_connection = False      # the outer loop now reads requests in the tunnel

    # -- reading
    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return b"".join(out)
                out.append(self.rfile.read(size))
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def continue_and_read(self):
        if self.expect and not self.sent_100:
            self.send_response_only(100)
            self.end_headers()
            self.sent_100 = True
        return self.read_body()

    # -- answering
    def answer(self, status, body=b"", headers=(), keep_length=None):
        """Send the answer; a HEAD gets the headers only.  keep_length is a
        forwarded HEAD's Content-Length."""
        self.rec["status"] = status
        self.write_log()                   # before the answer: a client that has it may read the log
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if keep_length is not None:
            self.send_header("Content-Length", keep_length)
        elif self.command == "HEAD":
            self.send_header("Content-Length", "0" if status >= 300 else str(len(body)))
        else:
            self.send_header("Content-Length", str(len(body)))
        if self.early:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD" and status not in (204, 304):
            self.wfile.write(body)
        self.wfile.flush()
        if self.early:
            self.linger()

    def linger(self):
        """Closing with the body unread would reset the connection under the
        answer: read (and drop) what comes for a moment first."""
        try:
            self.connection.settimeout(1)
            end = time.time() + 2
            while time.time() < end and self.connection.recv(65536):
                pass
        except (OSError, ValueError):
            pass

    def s3_error(self, status, code, message, extra=(), headers=()):
        body, rid = s3_xml_error(code, message, extra)
        self.rec["error"] = code
        self.answer(status, body, [("Content-Type", "application/xml"), ("x-amz-request-id", rid),
                                   ("x-amz-id-2", "awsworld")] + list(headers))

    def sts_error(self, status, code, message):
        body, rid = sts_xml_error(code, message, status < 500)
        self.rec["error"] = code
        self.answer(status, body, [("Content-Type", "text/xml"), ("x-amzn-RequestId", rid)])

    # -- every method
    def handle_any(self):
        self.expect = self.headers.get("Expect", "").lower() == "100-continue"
        self.sent_100 = False
        self.early = False
        self.logged = False
        target = self.path
        if re.match(r"https?://", target):            # absolute form (a plain-HTTP proxy request)
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        path, _, query = target.partition("?")
        host_hdr = self.headers.get("Host", "")
        route_host = self.connect_host or re.sub(r":\d+$", "", host_hdr)
        self.rec = rec = {
            "t": time.time(), "conn": self.conn_id,
            "via": "connect" if self.connect_host else "direct",
            "host": host_hdr, "connect_host": self.connect_host, "method": self.command,
            "path": path, "query": query, "headers": dict(self.headers.items()),
            "length": None, "sha256": None, "md5": None, "status": None, "service": None,
            "bucket": None, "key": None, "style": None, "host_region": None,
            "cred": None, "sig": None, "sig_detail": None, "error": None, "fault": None,
        }
        body = None
        try:
            info = parse_host(route_host)
            if info is None:
                if self.connect_host:           # (do_CONNECT refuses these)
                    info = {"service": None}
                else:                           # direct: STS if it says Action=, else S3 path style
                    service = "s3"
                    if re.search(r"(^|&)Action=", query):
                        service = "sts"
                    elif self.command == "POST" and self.headers.get("Content-Type", "").lower() \
                            .startswith("application/x-www-form-urlencoded"):
                        body = self.continue_and_read()
                        if re.search(rb"(^|&)Action=", body):
                            service = "sts"
                    info = {"service": service, "region": None, "global": False, "bucket": None,
                            "direct": True}
            rec["service"] = info["service"]
            rec["host_region"] = info.get("region")
            if info["service"] == "s3":
                self.s3_address(info, path)
            action = pick_rule("%s %s %s" % (self.command, host_hdr, target))
            rec["fault"] = action
            if action and action.startswith("delay:"):
                time.sleep(float(action[6:]))
            elif action in ("expiredtoken", "500", "slowdown"):
                if body is None:
                    body = self.continue_and_read()
                self.note_body(body)
                if info["service"] == "sts":
                    rec["sts"] = {k: v for k, v in parse_qsl(query + "&" + body.decode("utf-8", "replace"),
                                                             keep_blank_values=True) if k != "Version"}
                if info["service"]:             # the signature is logged all the same
                    chk = check_sig(self.command, "https" if self.connect_host else "http", path, query,
                                    self.headers, body, info["service"] == "s3")
                    rec.update(cred=chk["cred"], sig=chk["sig"], sig_detail=chk["sig_detail"])
                return self.fault(action, info["service"])
            if info["service"] == "sts":
                if body is None:
                    body = self.continue_and_read()
                self.note_body(body)
                return self.serve_sts(info, path, query, body)
            if info["service"] == "s3":
                return self.serve_s3(info, path, query, body)
            body = self.continue_and_read()
            self.note_body(body)
            rec["error"] = "unknown host"
            return self.answer(404, ("awsworld does not play %s\n" % route_host).encode(),
                               [("Content-Type", "text/plain")])
        finally:
            self.write_log()

    def write_log(self):
        if not self.logged:
            self.logged = True
            log(self.rec)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = handle_any

    def note_body(self, body):
        if body is not None:
            self.rec.update(length=len(body), sha256=hashlib.sha256(body).hexdigest(),
                            md5=base64.b64encode(hashlib.md5(body).digest()).decode())

    def fault(self, action, service):
        if service == "sts":
            if action == "expiredtoken":
                return self.sts_error(400, "ExpiredToken", "The security token included in the request is expired")
            if action == "slowdown":
                return self.sts_error(400, "Throttling", "Rate exceeded")
            return self.sts_error(500, "InternalFailure", "injected")
        if action == "expiredtoken":
            tok = self.headers.get("X-Amz-Security-Token")
            return self.s3_error(400, "ExpiredToken", "The provided token has expired.",
                                 [("Token-0", tok)] if tok else [])
        if action == "slowdown":
            return self.s3_error(503, "SlowDown", "Please reduce your request rate.")
        return self.s3_error(500, "InternalError", "We encountered an internal error. Please try again.")

    # -- S3
    def s3_address(self, info, path):
        """Bucket, key and style into the log; the path-style path for upstream."""
        if info.get("bucket"):
            bucket, style = info["bucket"], "virtual"
            key = path[1:]
            up_path = "/" + bucket + ("" if path == "/" else path)
        else:
            seg = path[1:].split("/", 1)
            bucket = seg[0] or None
            key = seg[1] if len(seg) > 1 else ""
            style = "path" if bucket else None
            up_path = path
        self.rec.update(bucket=unquote(bucket) if bucket else None, key=unquote(key) if key else None,
                        style=style)
        return up_path

    def serve_s3(self, info, path, query, body):
        rec = self.rec
        scheme = "https" if self.connect_host else "http"
        up_path = self.s3_address(info, path)
        bucket, key = rec["bucket"], rec["key"]
        params = dict(parse_qsl(query, keep_blank_values=True))
        location = self.command == "GET" and "location" in params and not key
        # Signature, on headers alone unless the body is here already.
        chk = check_sig(self.command, scheme, path, query, self.headers, body, True)
        rec.update(cred=chk["cred"], sig=chk["sig"], sig_detail=chk["sig_detail"])
        cred_region = chk["cred"]["region"] if chk["cred"] else None
        want_region = ARGS.bucket_region.get(bucket) if bucket else None
        host_region = info.get("region")
        region_hdr = [("x-amz-bucket-region", want_region)] if want_region else []

        def early_error(status, code, message, extra=(), headers=()):
            if self.expect and not self.sent_100:
                self.early = True           # answer before the body, then close
            elif body is None:
                self.note_body(self.continue_and_read())
            return self.s3_error(status, code, message, extra, headers)

        # Regions: wrong endpoint, then wrong signing region.
        if want_region and not location:
            wrong_host = (host_region and host_region != want_region) or \
                (info.get("global") and rec["style"] == "path" and want_region != "us-east-1")
            if wrong_host:
                return early_error(301, "PermanentRedirect",
                                   "The bucket you are attempting to access must be addressed using "
                                   "the specified endpoint. Please send all future requests to this endpoint.",
                                   [("Bucket", bucket), ("Endpoint", "%s.s3.%s.amazonaws.com" % (bucket, want_region))],
                                   region_hdr)
            if cred_region and cred_region != want_region:
                return early_error(400, "AuthorizationHeaderMalformed",
                                   "The authorization header is malformed; the region '%s' is wrong; "
                                   "expecting '%s'" % (cred_region, want_region),
                                   [("Region", want_region)], region_hdr)
        elif host_region and cred_region and cred_region != host_region and not location:
            return early_error(400, "AuthorizationHeaderMalformed",
                               "The authorization header is malformed; the region '%s' is wrong; "
                               "expecting '%s'" % (cred_region, host_region),
                               [("Region", host_region)], [("x-amz-bucket-region", host_region)])
        if chk["cred"] and chk["cred"]["service"] != "s3":
            rec["sig"] = chk["sig"] = "bad"
            rec["sig_detail"] = "credential scoped to service %r, not s3" % chk["cred"]["service"]
        if rec["sig"] == "bad" and rec["sig_detail"].startswith("credential scoped") and not ARGS.lenient:
            return early_error(403, "SignatureDoesNotMatch", "Credential should be scoped to correct service: 's3'.")
        if not ARGS.lenient:
            if chk["sig"] == "unknown-key":
                return early_error(403, "InvalidAccessKeyId",
                                   "The AWS Access Key Id you provided does not exist in our records.",
                                   [("AWSAccessKeyId", chk["key"])])
            if chk["sig"] == "bad-token":
                return early_error(400, "InvalidToken", "The provided token is malformed or otherwise invalid.")
            if chk["sig"] == "bad":
                if chk["deny"]:
                    return early_error(*chk["deny"])
                return early_error(403, "SignatureDoesNotMatch",
                                   "The request signature we calculated does not match the signature you "
                                   "provided. Check your key and signing method.")
            if chk["deny"] == "expired":
                tok = self.headers.get("X-Amz-Security-Token")
                return early_error(400, "ExpiredToken", "The provided token has expired.",
                                   [("Token-0", tok)] if tok else [])
            if chk["deny"]:
                return early_error(*chk["deny"])
        if body is None:
            body = self.continue_and_read()
        self.note_body(body)
        if chk["sig"] == "ok" and not ARGS.lenient:     # now the body's hash
            again = check_sig(self.command, scheme, path, query, self.headers, body, True)
            if again["deny"] and again["deny"] != "expired":
                rec["sig"] = "bad"
                rec["sig_detail"] = again["deny"][2]
                return self.s3_error(*again["deny"])
        if location and want_region:
            lc = "" if want_region == "us-east-1" else escape(want_region)
            return self.answer(200, ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint "
                                     "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">%s</LocationConstraint>"
                                     % lc).encode(), [("Content-Type", "application/xml")])
        self.forward(up_path, query, body, region_hdr if self.command == "HEAD" and not key else [])

    def forward(self, up_path, query, body, extra_headers):
        headers = {}
        for k, v in self.headers.items():
            if k.lower() in HOP:
                continue
            if k.lower() == "authorization":
                v = re.sub(r"Credential=[^/,\s]+/", "Credential=%s/" % ARGS.upstream_key, v)
            headers[k] = v
        headers["Host"] = "%s:%s" % (ARGS.upstream_host, ARGS.upstream_port)
        if query:
            query = re.sub(r"(^|&)X-Amz-Credential=[^&%]+(%2F|/)", r"\1X-Amz-Credential=%s\2" % ARGS.upstream_key,
                           query)
        up = http.client.HTTPConnection(ARGS.upstream_host, ARGS.upstream_port, timeout=120)
        try:
            up.request(self.command, up_path + ("?" + query if query else ""),
                       body=body if body or self.command in ("PUT", "POST") else None, headers=headers)
            r = up.getresponse()
            data = r.read()
        except OSError as e:
            self.rec["error"] = "upstream: %s" % e
            return self.s3_error(503, "ServiceUnavailable", "awsworld could not reach --s3-upstream")
        finally:
            up.close()
        out = [(k, v) for k, v in r.getheaders() if k.lower() not in HOP]
        keep = r.getheader("Content-Length") if self.command == "HEAD" else None
        try:
            self.answer(r.status, data, out + list(extra_headers), keep_length=keep)
        except (BrokenPipeError, ConnectionResetError):
            pass

    # -- STS
    def serve_sts(self, info, path, query, body):
        rec = self.rec
        scheme = "https" if self.connect_host else "http"
        params = dict(parse_qsl(query, keep_blank_values=True))
        if self.command == "POST":
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        rec["sts"] = {k: v for k, v in params.items() if k != "Version"}
        chk = check_sig(self.command, scheme, path, query, self.headers, body, False)
        rec.update(cred=chk["cred"], sig=chk["sig"], sig_detail=chk["sig_detail"])
        act = params.get("Action")
        if chk["cred"] and chk["sig"] == "ok":
            if chk["cred"]["service"] != "sts":
                rec.update(sig="bad", sig_detail="credential scoped to service %r, not sts" % chk["cred"]["service"])
            elif not info.get("direct") and chk["cred"]["region"] != info["region"]:
                rec.update(sig="bad", sig_detail="credential scoped to %r at a host of %r"
                           % (chk["cred"]["region"], info["region"]))
        if params.get("Version") != "2011-06-15":
            return self.sts_error(400, "InvalidAction", "Could not find operation %s for version %s"
                                  % (act, params.get("Version")))
        if act == "AssumeRoleWithWebIdentity":
            return self.web_identity(params)
        if act not in ("AssumeRole", "GetCallerIdentity"):
            return self.sts_error(400, "InvalidAction", "Could not find operation %s for version 2011-06-15" % act)
        lenient = ARGS.lenient and chk["sig"] != "unsigned"
        if not lenient:
            if chk["sig"] == "unsigned":
                return self.sts_error(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
            if chk["sig"] in ("unknown-key", "bad-token"):
                return self.sts_error(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
            if chk["sig"] == "bad":
                if "scoped" in (rec["sig_detail"] or ""):
                    return self.sts_error(403, "SignatureDoesNotMatch", "Credential should be scoped to a valid region.")
                return self.sts_error(403, "SignatureDoesNotMatch",
                                      "The request signature we calculated does not match the signature you "
                                      "provided. Check your AWS Secret Access Key and signing method. Consult "
                                      "the service documentation for details.")
            if chk["deny"] == "expired":
                return self.sts_error(403, "ExpiredToken", "The security token included in the request is expired")
            if chk["deny"]:
                return self.sts_error(chk["deny"][0], chk["deny"][1], chk["deny"][2])
        if act == "GetCallerIdentity":
            with LOCK:
                key = KEYS.get(chk["key"])
            who = key.who if key and key.who else {
                "Arn": "arn:aws:iam::%s:user/%s" % (ARGS.account, chk["key"]), "UserId": chk["key"]}
            return self.sts_ok("GetCallerIdentity",
                               "<Arn>%s</Arn>\n    <UserId>%s</UserId>\n    <Account>%s</Account>"
                               % (escape(who["Arn"]), escape(who["UserId"]), ARGS.account))
        return self.assume(params, "AssumeRole", chk["key"])

    def web_identity(self, params):
        tok = params.get("WebIdentityToken", "")
        want = None
        if ARGS.web_token_file:
            try:
                with open(ARGS.web_token_file) as f:
                    want = f.read().strip()
            except OSError:
                pass
        if not tok or want is None or tok.strip() != want:
            return self.sts_error(400, "InvalidIdentityToken", "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.")
        return self.assume(params, "AssumeRoleWithWebIdentity", None)

    def assume(self, params, action, by_key):
        arn, name = params.get("RoleArn"), params.get("RoleSessionName")
        problems = []
        if not arn or not re.fullmatch(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+", arn):
            problems.append("Value '%s' at 'roleArn' failed to satisfy constraint: Member must be a role ARN" % arn)
        if not name or not re.fullmatch(r"[\w+=,.@-]{2,64}", name):
            problems.append("Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must "
                            "satisfy regular expression pattern: [\\w+=,.@-]*, length 2..64" % name)
        dur = params.get("DurationSeconds", "3600")
        if not dur.isdigit() or not 900 <= int(dur) <= 43200:
            problems.append("Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must "
                            "have value between 900 and 43200" % dur)
        ext = params.get("ExternalId")
        if ext is not None and not re.fullmatch(r"[\w+=,.@:/-]{2,1224}", ext):
            problems.append("Value '%s' at 'externalId' failed to satisfy constraint" % ext)
        if problems:
            return self.sts_error(400, "ValidationError", "%d validation error%s detected: %s" % (
                len(problems), "" if len(problems) == 1 else "s", "; ".join(problems)))
        with LOCK:
            COUNTER["issued"] += 1
            n = COUNTER["issued"]
        akid = "ASIA%016d" % n
        b = lambda k: base64.b64encode(os.urandom(k)).decode()
        core = b(27)
        secret = core[:12] + "/" + core[12:24] + "+" + core[24:] + "="
        core = b(180)
        token = "IQoJb3JpZ2luX2VjE" + core[:60] + "/" + core[60:120] + "+" + core[120:] + "=="
        expires = time.time() + min(int(dur), ARGS.sts_max_seconds)
        role = arn.split(":role/", 1)[1].rsplit("/", 1)[-1]
        role_id = "AROA" + hashlib.sha256(arn.encode()).hexdigest()[:17].upper()
        who = {"Arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (arn.split(":")[4], role, name),
               "UserId": "%s:%s" % (role_id, name)}
        with LOCK:
            KEYS[akid] = Key(secret, token, expires, who)
        issued = {"AccessKeyId": akid, "SecretAccessKey": secret, "SessionToken": token,
                  "Expiration": now_iso(expires), "action": action, "RoleArn": arn,
                  "RoleSessionName": name, "ExternalId": ext, "DurationSeconds": int(dur),
                  "by_key": by_key, "AssumedRoleUser": who}
        self.rec["issued_key"] = akid
        log({"t": time.time(), "issued": issued})
        creds = ("<Credentials>\n      <AccessKeyId>%s</AccessKeyId>\n      <SecretAccessKey>%s</SecretAccessKey>\n"
                 "      <SessionToken>%s</SessionToken>\n      <Expiration>%s</Expiration>\n    </Credentials>"
                 % (akid, escape(secret), escape(token), now_iso(expires)))
        user = ("<AssumedRoleUser>\n      <Arn>%s</Arn>\n      <AssumedRoleId>%s</AssumedRoleId>\n"
                "    </AssumedRoleUser>" % (escape(who["Arn"]), escape(who["UserId"])))
        extra = ""
        if params.get("Policy") or any(k.startswith("PolicyArns.") for k in params):
            extra += "\n    <PackedPolicySize>6</PackedPolicySize>"
        if params.get("SourceIdentity"):
            extra += "\n    <SourceIdentity>%s</SourceIdentity>" % escape(params["SourceIdentity"])
        if action == "AssumeRoleWithWebIdentity":
            claims = {}
            parts = params["WebIdentityToken"].strip().split(".")
            if len(parts) == 3:
                try:
                    claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
                except ValueError:
                    claims = {}
            aud = claims.get("aud", "sts.amazonaws.com")
            aud = aud[0] if isinstance(aud, list) and aud else aud
            iss = str(claims.get("iss", "https://idp.awsworld.invalid"))
            extra += ("\n    <SubjectFromWebIdentityToken>%s</SubjectFromWebIdentityToken>\n"
                      "    <Audience>%s</Audience>\n    <Provider>%s</Provider>"
                      % (escape(str(claims.get("sub", "awsworld-subject"))), escape(str(aud)),
                         escape(re.sub(r"^https://", "", iss))))
        return self.sts_ok(action, "%s\n    %s%s" % (creds, user, extra))

    def sts_ok(self, action, result):
        rid = str(uuid.uuid4())
        body = ("<%sResponse xmlns=\"%s\">\n  <%sResult>\n    %s\n  </%sResult>\n  <ResponseMetadata>\n"
                "    <RequestId>%s</RequestId>\n  </ResponseMetadata>\n</%sResponse>\n"
                % (action, STS_NS, action, result, action, rid, action)).encode()
        self.answer(200, body, [("Content-Type", "text/xml"), ("x-amzn-RequestId", rid)])


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port-file", required=True, help="where the port is written")
    p.add_argument("--log", required=True, help="JSON lines, one per request")
    p.add_argument("--s3-upstream", required=True, help="the S3 server behind, http://127.0.0.1:PORT")
    p.add_argument("--upstream-key", default="S3RVER", help="the access key the upstream knows")
    p.add_argument("--ca-cert", required=True)
    p.add_argument("--ca-key", required=True)
    p.add_argument("--cert-dir", help="where leaf certificates go (default: beside --log)")
    p.add_argument("--key", action="append", default=[], metavar="AKID:SECRET[:TOKEN]")
    p.add_argument("--rules", help="fault rules, JSON, re-read per request")
    p.add_argument("--web-token-file", help="the web identity token STS accepts")
    p.add_argument("--sts-max-seconds", type=int, default=3600,
                   help="issued credentials live min(DurationSeconds, this)")
    p.add_argument("--bucket-region", action="append", default=[], metavar="BUCKET=REGION")
    p.add_argument("--account", default="123456789012")
    p.add_argument("--lenient", action="store_true",
                   help="check and log signatures, but refuse nothing for them")
    ARGS = p.parse_args()
    for k in ARGS.key:
        parts = k.split(":", 2)
        if len(parts) < 2:
            p.error("--key wants AKID:SECRET[:TOKEN]")
        KEYS[parts[0]] = Key(parts[1], parts[2] if len(parts) > 2 else None)
    ARGS.bucket_region = dict(b.split("=", 1) for b in ARGS.bucket_region)
    hostport = ARGS.s3_upstream.split("://", 1)[-1].rstrip("/")
    ARGS.upstream_host, ARGS.upstream_port = hostport.rsplit(":", 1)
    ARGS.cert_dir = ARGS.cert_dir or os.path.join(os.path.dirname(os.path.abspath(ARGS.log)),
                                                  "awsworld-certs")
    loopback.serve(World, ARGS.port_file, None)


if __name__ == "__main__":
    main()
