#!/usr/bin/env python3
"""A peer that misbehaves on purpose, for the tests of shipctl's HTTP limits.

  hostile_peer.py --port P --elsewhere-port Q

The first port misbehaves by the first segment of the path; the rest of the
path is whatever shipctl appends (an admin API path, /api/v1/query, ...):

  /trickle/N/...   the first N requests answer 200 `{}` at once; later ones send
                   their headers, then one byte a second, never finishing
  /redirect/...    307 to the same path on the other port (another origin)
  /huge/...        200 and an endless body without Content-Length
  anything else    404 whose message quotes the request's Authorization header back
  /fake/requests   every request either port received: method, port, path, headers

The second port ("elsewhere") only records what reaches it and answers 200 `{}`.
Both listen on 127.0.0.1 only.
"""
import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
REQUESTS = []
ANSWERED = {}


def handler(port, elsewhere):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def record(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            with LOCK:
                REQUESTS.append({"method": self.command, "port": port, "path": self.path,
                                 "headers": {k.lower(): v for k, v in self.headers.items()}})

        def answer(self, status, body, headers=()):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def serve(self):
            if self.path == "/fake/requests":
                with LOCK:
                    return self.answer(200, json.dumps(REQUESTS))
            self.record()
            if elsewhere is None:
                return self.answer(200, "{}")
            parts = self.path.split("/")
            mode = parts[1] if len(parts) > 1 else ""
            if mode == "redirect":
                return self.answer(307, "{}", [("Location", f"http://127.0.0.1:{elsewhere}{self.path}")])
            if mode == "huge":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Connection", "close")
                self.end_headers()
                chunk = b"[" + b"0," * 32767 + b"0"
                try:
                    for _ in range(16384):  # 1 GiB at most
                        self.wfile.write(chunk)
                except OSError:
                    pass
                self.close_connection = True
                return
            if mode == "trickle" and len(parts) > 2 and parts[2].isdigit():
                key = parts[2]
                with LOCK:
                    ANSWERED[key] = ANSWERED.get(key, 0) + 1
                    served = ANSWERED[key]
                if served <= int(key):
                    return self.answer(200, "{}")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "100000")
                self.end_headers()
                try:
                    for _ in range(100000):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(1)
                except OSError:
                    pass
                self.close_connection = True
                return
            # Some services quote a refused credential back: the caller must not show it.
            sent = self.headers.get("Authorization", "")
            self.answer(404, json.dumps({"message": f"no such mode: {mode}; Authorization was {sent}; from {self.path}"}))

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = serve

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--elsewhere-port", type=int, required=True)
    args = parser.parse_args()
    other = ThreadingHTTPServer(("127.0.0.1", args.elsewhere_port), handler(args.elsewhere_port, None))
    other.daemon_threads = True
    threading.Thread(target=other.serve_forever, daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler(args.port, args.elsewhere_port))
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
