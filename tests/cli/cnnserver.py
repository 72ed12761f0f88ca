#!/usr/bin/python3
"""A stand-in for CNN's markets endpoint, for the cnn-fetch tests.

CNN's servers cannot be reached from here, so this plays them on
127.0.0.1, from what the original project knew of the endpoint:
GET /markets/world/regions/REGIONS/DATE answers a JSON array of quote
objects.  The first path segment picks a scripted behaviour, so a test
asks for --base-url http://127.0.0.1:PORT/CASE:

  ok          200, a pretty-printed array, with ETag and Last-Modified
  gzip        200 gzip-encoded (400 if the client did not offer gzip)
  deflate     200 deflate-encoded (400 if not offered)
  redirect    302 to the same request under ok
  notfound    404
  ratelimit   429 with Retry-After: 1 the first time, then 200
  flaky       503 twice, then 200
  down        503 always
  stall       no answer for 3 s, always
  stallonce   no answer for 3 s the first time, then 200
  truncated   Content-Length says more than is sent, then the connection closes
  cutjson     a body whose JSON stops halfway (Content-Length matches)
  html        200 text/html, a block page
  htmlasjson  200 application/json whose body is an HTML page
  object      200, a JSON object instead of an array
  notquotes   200, an array holding a string
  empty       200 application/json with an empty body
  poll        version 1 for requests 1-2, version 2 after (one quote's
              last_updated changed), 304 when If-None-Match matches

Every request is logged as one JSON line (time, case, path, date,
headers) to --log.  The quotes come from --data (JSON lines; invented
values, see tests/fixtures/README.md).
"""
import argparse
import email.utils
import gzip
import http.server
import json
import threading
import time
import zlib

import loopback

ARGS = None
COUNTS = {}
LOCK = threading.Lock()


def quotes(version):
    with open(ARGS.data) as f:
        lines = [l.rstrip("\n") for l in f if l.strip()]
    if version == 2:
        q = json.loads(lines[1])
        q["last_updated"] = "2023-05-12T21:20:00+00:00"
        lines[1] = json.dumps(q, separators=(",", ":"))
    # Pretty-printed, as a server may send it: cnn-fetch must compact.
    return ("[\n  " + ",\n  ".join(lines) + "\n]\n").encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, body, ctype="application/json", headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD" and code != 304:
            self.wfile.write(body)

    def do_GET(self):
        parts = self.path.split("/")
        case = parts[1] if len(parts) > 1 else ""
        with LOCK:
            COUNTS[case] = n = COUNTS.get(case, 0) + 1
        rest = parts[2:]
        date = rest[4] if len(rest) == 5 else None
        with open(ARGS.log, "a") as log:
            log.write(json.dumps({
                "t": time.time(), "case": case, "n": n, "path": self.path,
                "regions": rest[3] if len(rest) == 5 else None,
                "date": date,
                "headers": {k.lower(): v for k, v in self.headers.items()},
            }) + "\n")
        if len(rest) != 5 or rest[:3] != ["markets", "world", "regions"]:
            return self.send(404, b"not found\n", "text/plain")
        try:
            getattr(self, "case_" + case, self.case_unknown)(n)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def ok(self, version=1):
        etag = '"v%d"' % version
        lm = email.utils.formatdate(1683926186 + version, usegmt=True)
        if self.headers.get("If-None-Match") == etag:
            return self.send(304, b"", headers=[("ETag", etag)])
        self.send(200, quotes(version), "application/json; charset=utf-8",
                  [("ETag", etag), ("Last-Modified", lm)])

    def case_unknown(self, n):
        self.send(404, b"no such case\n", "text/plain")

    def case_ok(self, n):
        self.ok()

    def encoded(self, name, compress):
        if name not in self.headers.get("Accept-Encoding", ""):
            return self.send(400, b"offer %s\n" % name.encode(), "text/plain")
        self.send(200, compress(quotes(1)), headers=[("Content-Encoding", name)])

    def case_gzip(self, n):
        self.encoded("gzip", gzip.compress)

    def case_deflate(self, n):
        self.encoded("deflate", zlib.compress)

    def case_redirect(self, n):
        self.send(302, b"", "text/plain",
                  [("Location", "/ok/" + "/".join(self.path.split("/")[2:]))])

    def case_notfound(self, n):
        self.send(404, b"<html><body>Not Found</body></html>", "text/html")

    def case_ratelimit(self, n):
        if n == 1:
            return self.send(429, b"slow down\n", "text/plain",
                             [("Retry-After", "1")])
        self.ok()

    def case_flaky(self, n):
        if n <= 2:
            return self.send(503, b"busy\n", "text/plain")
        self.ok()

    def case_down(self, n):
        self.send(503, b"busy\n", "text/plain")

    def case_stall(self, n):
        time.sleep(3)
        self.ok()

    def case_stallonce(self, n):
        if n == 1:
            time.sleep(3)
        self.ok()

    def case_truncated(self, n):
        body = quotes(1)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True

    def case_cutjson(self, n):
        body = quotes(1)
        self.send(200, body[: len(body) // 2])

    def case_html(self, n):
        self.send(200, b"<!DOCTYPE html>\n<html><head><title>Access Denied"
                  b"</title></head><body>blocked</body></html>\n",
                  "text/html; charset=utf-8")

    def case_htmlasjson(self, n):
        self.send(200, b"\n<html><body>Access Denied</body></html>\n")

    def case_object(self, n):
        self.send(200, b'{"error":"no data for this date"}\n')

    def case_notquotes(self, n):
        self.send(200, b'[{"symbol":"A"},"B"]\n')

    def case_empty(self, n):
        self.send(200, b"")

    def case_poll(self, n):
        self.ok(1 if n <= 2 else 2)


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ARGS = p.parse_args()
    loopback.serve(Handler, ARGS.port_file, ARGS.tls)


if __name__ == "__main__":
    main()
