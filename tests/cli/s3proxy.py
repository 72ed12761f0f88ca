#!/usr/bin/python3
"""A recording, fault-injecting HTTP proxy in front of an S3 server.

Every request is forwarded to --upstream and logged to --log as one JSON
line: method, path, query, headers, the body's length, SHA-256 and MD5,
the status returned and whether a fault was injected.  sigcheck.py
re-signs the logged requests with botocore.

Faults come from --rules, a JSON file re-read on every request: a list
of {"match": REGEX, "action": ACTION, "times": N}.  REGEX is searched in
"METHOD PATH?QUERY"; the first rule that matches and still has times
left fires:
  "500"        answer 500 InternalError
  "slowdown"   answer 503 SlowDown
  "drop"       read half the body, then close the connection
  "cut"        forward, but send only half the answer's body, then close
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
import re
import threading
import time

import loopback

ARGS = None
LOCK = threading.Lock()
USED = {}

ERROR = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code>"
         "<Message>%s</Message><RequestId>proxy</RequestId></Error>")


def pick_rule(line):
    try:
        with open(ARGS.rules) as f:
            rules = json.load(f)
    except (OSError, ValueError):
        return None
    with LOCK:
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
        if action == "drop":
            self.rfile.read(n // 2)
            self.record(None, None, "drop")
            self.close_connection = True
            self.connection.shutdown(2)
            return
        body = self.rfile.read(n) if n else b""
        if action == "500":
            self.record(body, 500, action)
            return self.answer(500, (ERROR % ("InternalError", "injected")).encode(),
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
        up = http.client.HTTPConnection(ARGS.upstream_host, ARGS.upstream_port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
        up.request(self.command, self.path, body=body if n or self.command in ("PUT", "POST") else None,
                   headers=headers)
        r = up.getresponse()
        data = r.read()
        self.record(body, r.status, action)
        hop = {"connection", "transfer-encoding", "content-length", "keep-alive"}
        if action == "cut" and len(data) > 1:
            self.send_response(r.status)
            for k, v in r.getheaders():
                if k.lower() not in hop:
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            up.close()
            return
        try:
            self.answer(r.status, data, [(k, v) for k, v in r.getheaders() if k.lower() not in hop])
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
