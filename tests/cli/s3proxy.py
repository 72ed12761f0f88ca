#!/usr/bin/python3
"""A recording, fault-injecting HTTP proxy in front of an S3 server.

Every request is forwarded to --upstream and logged to --log as one JSON
line: method, path, query, headers, the body's length, SHA-256 and MD5,
the status returned and whether a fault was injected.  sigcheck.py
re-signs the logged requests with botocore.

Faults come from --rules, a JSON file re-read on every request: a list
of {"match": REGEX, "action": ACTION, "times": N} (the counts start anew
whenever the file is written).  REGEX is searched in
"METHOD PATH?QUERY"; the first rule that matches and still has times
left fires:
  "500"        answer 500 InternalError
  "slowdown"   answer 503 SlowDown
  "403"        answer 403 AccessDenied (a role that may not do this)
  "drop"       read half the body, then close the connection
  "reset"      read half the body, then reset the connection (RST)
  "cut"        forward, but send only half the answer's body, then close
  "cutnolen"   forward, answer without Content-Length (the body ends
               when the connection does), send half the body, close
  "trickle"    forward, send the answer's first body byte alone, wait
               0.3 s, then the rest
  "stall"      read the request, answer nothing for 60 s
  "badetag"    forward, but change the answer's ETag (the header, or
               the ETag element of a CompleteMultipartUpload answer)
  "delay:S"    wait S seconds, then forward
  "forward"    forward (to count matches without a fault)
  "ok"         answer 200 itself (ETag: the body's MD5), for requests
               signed with keys the server behind does not know
"""
import argparse
import hashlib
import base64
import http.client
import http.server
import json
import os
import re
import socket
import struct
import threading
import time

import loopback

ARGS = None
LOCK = threading.Lock()
USED = {}
RULES_TEXT = None

ERROR = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code>"
         "<Message>%s</Message><RequestId>proxy</RequestId></Error>")


def pick_rule(line):
    global RULES_TEXT
    try:
        with open(ARGS.rules) as f:
            text = "%d\n%s" % (os.fstat(f.fileno()).st_mtime_ns, f.read())
        rules = json.loads(text.split("\n", 1)[1])
    except (OSError, ValueError):
        return None
    with LOCK:
        if text != RULES_TEXT:      # rules written: counts start anew
            RULES_TEXT = text
            USED.clear()
        for i, r in enumerate(rules):
            if re.search(r["match"], line) and USED.get(i, 0) < r.get("times", 1):
                USED[i] = USED.get(i, 0) + 1
                return r["action"]
    return None


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def record(self, body, status, fault):
        path, _, query = self.path.partition("?")
        entry = {
            "t": time.time(), "method": self.command, "path": path,
            "query": query, "headers": dict(self.headers.items()),
            "length": len(body) if body is not None else None,
            "sha256": hashlib.sha256(body or b"").hexdigest(),
            "md5": base64.b64encode(hashlib.md5(body or b"").digest()).decode(),
            "status": status, "fault": fault,
        }
        with LOCK, open(ARGS.log, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def answer(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        action = pick_rule("%s %s" % (self.command, self.path))
        if action in ("drop", "reset"):
            self.rfile.read(n // 2)
            self.record(None, None, action)
            self.close_connection = True
            if action == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.connection.close()
            else:
                self.connection.shutdown(2)
            return
        body = self.rfile.read(n) if n else b""
        if action == "500":
            self.record(body, 500, action)
            return self.answer(500, (ERROR % ("InternalError", "injected")).encode(),
                               [("Content-Type", "application/xml")])
        if action == "403":
            self.record(body, 403, action)
            return self.answer(403, (ERROR % ("AccessDenied", "Access Denied")).encode(),
                               [("Content-Type", "application/xml")])
        if action == "slowdown":
            self.record(body, 503, action)
            return self.answer(503, (ERROR % ("SlowDown", "Please reduce your request rate.")).encode(),
                               [("Content-Type", "application/xml")])
        if action == "ok":
            self.record(body, 200, action)
            return self.answer(200, b"", [("ETag", '"%s"' % hashlib.md5(body).hexdigest())])
        if action and action.startswith("delay:"):
            time.sleep(float(action[6:]))
        if action == "stall":
            self.record(body, None, action)
            time.sleep(60)
            self.close_connection = True
            return
        up = http.client.HTTPConnection(ARGS.upstream_host, ARGS.upstream_port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
        up.request(self.command, self.path, body=body if n or self.command in ("PUT", "POST") else None,
                   headers=headers)
        r = up.getresponse()
        data = r.read()
        self.record(body, r.status, action)
        hop = {"connection", "transfer-encoding", "content-length", "keep-alive"}
        headers = [(k, v) for k, v in r.getheaders() if k.lower() not in hop]
        if action == "badetag":
            headers = [(k, '"0123456789abcdef0123456789abcdef"' if k.lower() == "etag" else v)
                       for k, v in headers]
            data = re.sub(rb"<ETag>[^<]*</ETag>",
                          b"<ETag>&quot;0123456789abcdef0123456789abcdef-1&quot;</ETag>", data)
        if action in ("cut", "cutnolen", "trickle") and len(data) > 1:
            # Headers as forwarded; with or without the true length.
            self.send_response(r.status)
            for k, v in headers:
                self.send_header(k, v)
            if action == "cutnolen":
                self.send_header("Connection", "close")
            else:
                self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if action == "trickle":
                self.wfile.write(data[:1])
                self.wfile.flush()
                time.sleep(0.3)
                self.wfile.write(data[1:])
            else:
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
            up.close()
            return
        try:
            self.answer(r.status, data, headers)
        except (BrokenPipeError, ConnectionResetError):
            pass
        up.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--upstream", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--rules", required=True)
    ARGS = p.parse_args()
    hostport = ARGS.upstream.split("://", 1)[-1].rstrip("/")
    ARGS.upstream_host, ARGS.upstream_port = hostport.rsplit(":", 1)
    loopback.serve(Proxy, ARGS.port_file, None)


if __name__ == "__main__":
    main()
