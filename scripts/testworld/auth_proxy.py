#!/usr/bin/env python3
"""An auth proxy in front of the test world's Prometheus, as a hosted Prometheus behaves:

  auth_proxy.py --port P --upstream http://127.0.0.1:9090 --authorization 'Bearer TOKEN'

A GET whose Authorization header is exactly the one given is passed to the
upstream under the same path and query; any other (missing, wrong) gets 401.
GET /fake/requests lists the Authorization headers it saw (for the test to
check what was sent). Listens on 127.0.0.1 only.
"""
import argparse
import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
SEEN = []


def make_handler(upstream, expected):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def answer(self, status, body, content_type="application/json"):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/fake/requests":
                with LOCK:
                    return self.answer(200, json.dumps(SEEN).encode())
            given = self.headers.get("Authorization")
            with LOCK:
                SEEN.append(given)
            if given != expected:
                return self.answer(401, b'{"status":"error","error":"unauthorized"}')
            try:
                with urllib.request.urlopen(upstream + self.path, timeout=10) as response:
                    self.answer(response.status, response.read(), response.headers.get("Content-Type", "application/json"))
            except urllib.error.HTTPError as error:
                self.answer(error.code, error.read())

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--authorization", required=True)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(args.upstream.rstrip("/"), args.authorization))
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
