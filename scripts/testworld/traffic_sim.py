#!/usr/bin/env python3
"""Traffic simulator for the shipctl test world.

It stands in for the users of a micro app, not for any cloud API: it reads the
live alias of every Lambda function from the AWS endpoint (moto in the test
world) and, when given one, the traffic of every Cloud Run service from the
Cloud Run API fake, splits a steady request rate across the versions (or
revisions) they route to,
and exposes what an instrumented app would export to Prometheus:
llm_requests_total, llm_request_latency_seconds_bucket and
llm_cost_estimate_usd_total, each labelled with function and version.

How each version behaves (error rate, latency, cost per request) is set at run
time with POST /behaviour, so a test can make one version bad and another good.
POST /traffic {"function": F, "rps": 2, "arrivals": "poisson"} turns one function
(or, without "function", every one) down to a micro app's traffic: whole requests
arriving at random (Poisson), each failing at its version's error rate, instead
of the steady fractional flow that is the default.
POST /exporter {"function": F, "version": V, "hidden": true} stops exporting
that version's series (an app that does not export it); {"jump": X} adds X at
once to its requests counter (a counter that wrapped, an exporter's garbage).
"""
import argparse
import json
import math
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
from botocore.config import Config

BUCKETS = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]
DEFAULT_BEHAVIOUR = {"error_rate": 0.0, "latency_seconds": 0.12, "cost_per_request": 0.0004}


class World:
    def __init__(self, rps):
        self.rps = rps
        self.lock = threading.Lock()
        self.discovered = {}  # source ("lambda", "cloudrun") -> (routes, known versions)
        self.routes = {}  # function or Cloud Run service -> {version: weight}
        self.known_versions = {}  # function -> set(version)
        self.behaviour = {}  # (function or "*", version) -> dict
        self.counters = {}  # (function, version) -> dict of floats
        self.traffic = {}  # function or "*" -> {"rps": float, "poisson": bool}
        self.hidden = set()  # (function, version) whose series are not exported
        self.random = random.Random(20261204)

    def update(self, source, routes, known):
        """Replaces what one source reported; the routes of the others stay."""
        with self.lock:
            self.discovered[source] = (routes, known)
            self.routes = {name: weights for routes, _ in self.discovered.values() for name, weights in routes.items()}
            self.known_versions = {name: versions for _, known in self.discovered.values() for name, versions in known.items()}

    def behaviour_for(self, function, version):
        merged = dict(DEFAULT_BEHAVIOUR)
        merged.update(self.behaviour.get(("*", version), {}))
        merged.update(self.behaviour.get((function, version), {}))
        return merged

    def series(self, function, version):
        key = (function, version)
        if key not in self.counters:
            self.counters[key] = {
                "ok": 0.0, "error": 0.0, "cost": 0.0, "sum": 0.0, "count": 0.0,
                "buckets": [0.0] * len(BUCKETS),
            }
        return self.counters[key]

    def traffic_for(self, function):
        return self.traffic.get(function) or self.traffic.get("*") or {"rps": self.rps, "poisson": False}

    def poisson(self, mean):
        """Knuth's method, split into chunks so that exp(-mean) never underflows."""
        count = 0
        while mean > 0:
            chunk = min(mean, 30.0)
            mean -= chunk
            limit, product = math.exp(-chunk), self.random.random()
            while product > limit:
                count += 1
                product *= self.random.random()
        return count

    def tick(self, dt):
        with self.lock:
            for function, versions in self.known_versions.items():
                for version in versions:
                    self.series(function, version)
            for function, weights in self.routes.items():
                traffic = self.traffic_for(function)
                for version, weight in weights.items():
                    if weight <= 0:
                        continue
                    b = self.behaviour_for(function, version)
                    s = self.series(function, version)
                    if traffic["poisson"]:
                        n = float(self.poisson(traffic["rps"] * dt * weight))
                        errors = float(sum(1 for _ in range(int(n)) if self.random.random() < b["error_rate"]))
                    else:
                        n = traffic["rps"] * dt * weight
                        errors = n * b["error_rate"]
                    s["error"] += errors
                    s["ok"] += n - errors
                    s["cost"] += n * b["cost_per_request"]
                    s["sum"] += n * b["latency_seconds"]
                    s["count"] += n
                    for i, bound in enumerate(BUCKETS):
                        if b["latency_seconds"] <= bound:
                            s["buckets"][i] += n

    def exposition(self):
        lines = [
            "# TYPE llm_requests_total counter",
            "# TYPE llm_request_latency_seconds histogram",
            "# TYPE llm_cost_estimate_usd_total counter",
        ]
        with self.lock:
            for (function, version), s in sorted(self.counters.items()):
                if (function, version) in self.hidden:
                    continue
                lbl = f'function="{function}",version="{version}"'
                lines.append(f'llm_requests_total{{{lbl},status="ok"}} {s["ok"]}')
                lines.append(f'llm_requests_total{{{lbl},status="error"}} {s["error"]}')
                lines.append(f'llm_cost_estimate_usd_total{{{lbl}}} {s["cost"]}')
                for bound, value in zip(BUCKETS, s["buckets"]):
                    lines.append(f'llm_request_latency_seconds_bucket{{{lbl},le="{bound}"}} {value}')
                lines.append(f'llm_request_latency_seconds_bucket{{{lbl},le="+Inf"}} {s["count"]}')
                lines.append(f'llm_request_latency_seconds_sum{{{lbl}}} {s["sum"]}')
                lines.append(f'llm_request_latency_seconds_count{{{lbl}}} {s["count"]}')
        return "\n".join(lines) + "\n"


def discover_forever(world, endpoint, region, alias_name):
    client = boto3.client(
        "lambda", endpoint_url=endpoint, region_name=region,
        aws_access_key_id="testing", aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5),
    )
    while True:
        routes, known = {}, {}
        try:
            for fn in client.list_functions().get("Functions", []):
                name = fn["FunctionName"]
                versions = client.list_versions_by_function(FunctionName=name).get("Versions", [])
                known[name] = {v["Version"] for v in versions if v["Version"] != "$LATEST"}
                for alias in client.list_aliases(FunctionName=name).get("Aliases", []):
                    if alias["Name"] != alias_name:
                        continue
                    extra = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
                    weights = {v: float(w) for v, w in extra.items()}
                    weights[alias["FunctionVersion"]] = max(0.0, 1.0 - sum(weights.values()))
                    routes[name] = weights
            world.update("lambda", routes, known)
        except Exception as error:  # the endpoint may be restarting; keep the last routes
            print(f"discovery failed: {error}", flush=True)
        time.sleep(0.3)


def discover_cloudrun_forever(world, fake_url):
    """Cloud Run: `status.traffic` of every service the fake holds, percent → weight."""
    import urllib.request

    while True:
        try:
            with urllib.request.urlopen(f"{fake_url}/fake/state", timeout=5) as response:
                services = json.load(response)["services"]
            routes, known = {}, {}
            for service in services:
                name = service["metadata"]["name"]
                weights = {}
                for target in service.get("status", {}).get("traffic", []):
                    if target.get("revisionName") and target.get("percent", 0) > 0:
                        revision = target["revisionName"]
                        weights[revision] = weights.get(revision, 0.0) + target["percent"] / 100.0
                routes[name] = weights
                known[name] = set(weights)
            world.update("cloudrun", routes, known)
        except Exception as error:
            print(f"cloudrun discovery failed: {error}", flush=True)
        time.sleep(0.3)


def tick_forever(world):
    last = time.monotonic()
    while True:
        time.sleep(0.1)
        now = time.monotonic()
        world.tick(now - last)
        last = now


def make_handler(world):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def reply(self, status, body, content_type="application/json"):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self.reply(200, world.exposition(), "text/plain; version=0.0.4")
            elif path == "/state":
                with world.lock:
                    self.reply(200, json.dumps({"routes": world.routes}))
            else:
                self.reply(404, "{}")

        def do_POST(self):
            if self.path == "/traffic":
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                    setting = {"rps": float(body["rps"]), "poisson": body.get("arrivals", "steady") == "poisson"}
                except (ValueError, KeyError) as error:
                    self.reply(400, json.dumps({"error": str(error)}))
                    return
                with world.lock:
                    world.traffic[body.get("function") or "*"] = setting
                self.reply(200, json.dumps({"ok": True}))
                return
            if self.path == "/exporter":
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                    key = (str(body["function"]), str(body["version"]))
                    jump = float(body.get("jump", 0))
                except (ValueError, KeyError) as error:
                    self.reply(400, json.dumps({"error": str(error)}))
                    return
                with world.lock:
                    if "hidden" in body:
                        (world.hidden.add if body["hidden"] else world.hidden.discard)(key)
                    world.series(*key)["ok"] += jump
                self.reply(200, json.dumps({"ok": True}))
                return
            if self.path != "/behaviour":
                self.reply(404, "{}")
                return
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
                key = (body.get("function") or "*", str(body["version"]))
                update = {k: float(body[k]) for k in DEFAULT_BEHAVIOUR if k in body}
            except (ValueError, KeyError) as error:
                self.reply(400, json.dumps({"error": str(error)}))
                return
            with world.lock:
                world.behaviour.setdefault(key, {}).update(update)
            self.reply(200, json.dumps({"ok": True}))

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--aws-endpoint", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--alias", default="live")
    parser.add_argument("--rps", type=float, default=50.0)
    parser.add_argument("--cloudrun", help="base URL of the Cloud Run API fake")
    args = parser.parse_args()
    world = World(args.rps)
    threading.Thread(target=discover_forever, args=(world, args.aws_endpoint, args.region, args.alias), daemon=True).start()
    if args.cloudrun:
        threading.Thread(target=discover_cloudrun_forever, args=(world, args.cloudrun), daemon=True).start()
    threading.Thread(target=tick_forever, args=(world,), daemon=True).start()
    ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(world)).serve_forever()


if __name__ == "__main__":
    main()
