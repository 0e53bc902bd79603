#!/usr/bin/env python3
"""A webhook receiver for the tests, independent of the server's code: verifies every request's
HVFLVSPOT-Signature with Python's own hmac (constant-time compare, timestamp at most five
minutes off) against the secrets in SECRETS (a JSON list, re-read for each request).

    webhook_receiver.py --port PORT --dir DIR --secrets FILE [--fail N] [--gone]

Each request is written to DIR/<n>.json: path, headers, body and whether it verified. A request
that does not verify gets 400; --fail N answers the first N verified requests 500; --gone
answers 410 to every one. Prints "listening" once ready.
"""
import argparse
import hashlib
import hmac
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def verify(header, body, secrets):
    fields = dict(part.split("=", 1) for part in (header or "").split(",") if "=" in part)
    if "t" not in fields or "v1" not in fields or abs(time.time() - int(fields["t"])) > 300:
        return False
    message = fields["t"].encode() + b"." + body
    return any(hmac.compare_digest(hmac.new(secret.encode(), message, hashlib.sha256).hexdigest(), fields["v1"])
               for secret in secrets)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--secrets", required=True)
    parser.add_argument("--fail", type=int, default=0)
    parser.add_argument("--gone", action="store_true")
    arguments = parser.parse_args()
    lock = threading.Lock()
    state = {"count": 0, "failed": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                secrets = json.load(open(arguments.secrets))
            except (OSError, ValueError):
                secrets = []
            verified = verify(self.headers.get("HVFLVSPOT-Signature"), body, secrets)
            with lock:
                state["count"] += 1
                number = state["count"]
                if not verified:
                    status = 400
                elif arguments.gone:
                    status = 410
                elif state["failed"] < arguments.fail:
                    state["failed"] += 1
                    status = 500
                else:
                    status = 200
            # Written aside, then renamed: a reader never sees half a record.
            path = os.path.join(arguments.dir, f"{number}.json")
            with open(path + ".part", "w") as record:
                json.dump({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                           "body": json.loads(body or b"null"), "verified": verified, "status": status}, record)
            os.replace(path + ".part", path)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", arguments.port), Handler)
    print("listening", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
