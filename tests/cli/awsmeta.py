#!/usr/bin/python3
"""Stand-ins for the two AWS credential endpoints s3put asks, on 127.0.0.1.

Neither can run here (they are link-local services of EC2 and ECS), so
this plays them from AWS's published descriptions:

- EC2 instance metadata, IMDSv2: PUT /latest/api/token with
  X-aws-ec2-metadata-token-ttl-seconds returns a token; GET
  /latest/meta-data/iam/security-credentials/ (token in
  X-aws-ec2-metadata-token) lists the role; GET .../ROLE returns
  {"Code":"Success","AccessKeyId":...,"SecretAccessKey":...,"Token":...,
  "Expiration":...}.  A GET without a valid token is answered 401, as
  IMDSv2 does.
- The ECS container endpoint: GET /creds (the path a task finds in
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI) returns
  {"AccessKeyId":...,"SecretAccessKey":...,"Token":...,"Expiration":...},
  and 401 if --auth is given and the Authorization header differs.

The credentials expire --expires-in seconds after they are handed out.
Every request is logged as a JSON line to --log.
"""
import argparse
import http.server
import json
import time

import loopback

ARGS = None
TOKEN = "imds-token-123"
ROLE = "quotepipe-role"


def creds():
    return {"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": ARGS.key_id,
            "SecretAccessKey": ARGS.secret, "Token": ARGS.token,
            "Expiration": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + ARGS.expires_in)),
            "LastUpdated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


class Meta(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, body, ctype="text/plain"):
        body = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log(self):
        with open(ARGS.log, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "headers": dict(self.headers.items())}) + "\n")

    def do_PUT(self):
        self.log()
        if self.path == "/latest/api/token" and \
                self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            return self.send(200, TOKEN)
        self.send(400, "bad token request")

    def do_GET(self):
        self.log()
        if self.path == "/creds":
            if ARGS.auth and self.headers.get("Authorization") != ARGS.auth:
                return self.send(401, "unauthorized")
            return self.send(200, json.dumps(creds()), "application/json")
        if self.headers.get("X-aws-ec2-metadata-token") != TOKEN:
            return self.send(401, "")
        if self.path == "/latest/meta-data/iam/security-credentials/":
            return self.send(200, ROLE)
        if self.path == "/latest/meta-data/iam/security-credentials/" + ROLE:
            return self.send(200, json.dumps(creds()), "application/json")
        self.send(404, "not found")


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--key-id", required=True)
    p.add_argument("--secret", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--auth")
    p.add_argument("--expires-in", type=int, default=6 * 3600,
                   help="seconds until the credentials expire")
    ARGS = p.parse_args()
    loopback.serve(Meta, ARGS.port_file, None)


if __name__ == "__main__":
    main()
