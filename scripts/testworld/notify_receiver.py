#!/usr/bin/env python3
"""A receiver of shipctl's notifications (a Slack incoming webhook, a signed webhook), for tests.

  notify_receiver.py --port P

It keeps every request it gets (GET, POST, PUT) and answers by the first
segments of the path, so each test picks a behaviour by the URL it configures
(a cloud API that never answers is `/hang` as its endpoint):

  /answer/500,200/...  answers the statuses in turn, one per request to that
                       exact path, then the last one again; a status of 429
                       comes with `Retry-After: 1`
  /hang/...            reads the request and never answers (for 120 s)
  /redirect/...        307 to /landed/... on this same receiver
  anything else        200 `ok`, as Slack answers
  /fake/requests       every request so far: method, path, headers, body

Listens on 127.0.0.1 only.
"""
import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
REQUESTS = []
SEEN = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, content_type="text/plain", headers=()):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/fake/requests":
            with LOCK:
                return self.answer(200, json.dumps(REQUESTS), "application/json")
        self.serve()

    def do_POST(self):
        self.serve()

    def do_PUT(self):
        self.serve()

    def serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        with LOCK:
            REQUESTS.append({"method": self.command, "path": self.path, "body": body,
                             "at": time.time(), "headers": {k.lower(): v for k, v in self.headers.items()}})
            count = SEEN.get(self.path, 0)
            SEEN[self.path] = count + 1
        parts = self.path.split("/")
        if len(parts) > 1 and parts[1] == "hang":
            time.sleep(120)
            return
        if len(parts) > 1 and parts[1] == "redirect":
            rest = "/".join(parts[2:])
            return self.answer(307, "moved", headers=[("Location", f"/landed/{rest}")])
        if len(parts) > 2 and parts[1] == "answer":
            try:
                statuses = [int(s) for s in parts[2].split(",")]
            except ValueError:
                return self.answer(400, "bad /answer/ path")
            status = statuses[min(count, len(statuses) - 1)]
            headers = [("Retry-After", "1")] if status == 429 else []
            return self.answer(status, "ok" if status < 300 else f"answer {status}", headers=headers)
        self.answer(200, "ok")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
