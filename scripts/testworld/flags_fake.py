#!/usr/bin/env python3
"""Small fakes of the Unleash and LaunchDarkly admin APIs for the test world.

Neither service installs here, so this serves the parts shipctl uses, as their
documentation describes them, on one loopback port (the two path families do
not overlap):

Unleash (token in `Authorization`, no scheme):
  GET  /api/admin/projects/{project}/features/{feature}
       -> {"name", "project", "environments": [{"name", "enabled", "type"}]}
  POST /api/admin/projects/{project}/features/{feature}/environments/{env}/on|off
       -> 200 with an empty body
  errors: {"id", "name", "message", "details": [{"message"}]}; 401 without a
  valid token, 403 for a read-only token, 404 for an unknown project, feature
  or environment.

LaunchDarkly (token in `Authorization`):
  GET   /api/v2/flags/{project}/{flag}?env=E -> the flag, with `variations`
        [{"_id", "value", "name"}] and `environments` {E: {"on", "fallthrough": {"variation"}, "offVariation", "_version"}}
  PATCH /api/v2/flags/{project}/{flag} with
        `Content-Type: application/json; domain-model=launchdarkly.semanticpatch`
        and {"environmentKey", "comment", "instructions": [{"kind": ...}]}
        kinds: turnFlagOn, turnFlagOff, updateFallthroughVariationOrRollout
        (variationId), updateOffVariation (variationId); -> 200 with the flag
  errors: {"code", "message"}; 400 invalid_request, 401 unauthorized,
  403 forbidden, 404 not_found, 409 optimistic_locking_error,
  429 rate_limited with `X-Ratelimit-Reset` (epoch milliseconds).

Test control under /fake/: POST /fake/seed, POST /fake/faults (answer the
next N requests of a service with a status), GET /fake/requests, GET /fake/state.
"""
import argparse
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

LOCK = threading.Lock()
STATE = {"unleash": {"tokens": {}, "features": {}}, "launchdarkly": {"tokens": {}, "flags": {}}}
FAULTS = []  # {"service", "status", "count", "retry_after"}
REQUESTS = []  # {"service", "method", "path", "status", "authorized", "content_type", "body"}

UNLEASH_NAMES = {400: "BadDataError", 401: "AuthenticationRequired", 403: "NoAccessError", 404: "NotFoundError",
                 409: "NameExistsError", 429: "RateLimitError", 500: "InternalError", 503: "ServiceUnavailable"}
LD_CODES = {400: "invalid_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
            409: "optimistic_locking_error", 429: "rate_limited", 500: "internal_server_error", 503: "service_unavailable"}


class ApiError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def unleash_error(status, message):
    return {"id": str(uuid.uuid4()), "name": UNLEASH_NAMES.get(status, "UnknownError"), "message": message,
            "details": [{"message": message}]}


def ld_error(status, message):
    return {"code": LD_CODES.get(status, "unknown"), "message": message}


def seed(body):
    with LOCK:
        if "unleash" in body:
            u = body["unleash"]
            STATE["unleash"]["tokens"].update(u.get("tokens", {}))
            for f in u.get("features", []):
                key = (f.get("project", "default"), f["name"])
                STATE["unleash"]["features"][key] = {"name": f["name"], "project": key[0],
                                                     "environments": dict(f.get("environments", {}))}
        if "launchdarkly" in body:
            l = body["launchdarkly"]
            STATE["launchdarkly"]["tokens"].update(l.get("tokens", {}))
            for f in l.get("flags", []):
                key = (f["project"], f["key"])
                variations = [{"_id": str(uuid.uuid4()), "value": v.get("value"), "name": v.get("name")}
                              if isinstance(v, dict) else {"_id": str(uuid.uuid4()), "value": v}
                              for v in f.get("variations", [True, False])]
                envs = {}
                for name, e in f.get("environments", {}).items():
                    envs[name] = {"on": bool(e.get("on", False)), "fallthrough": {"variation": e.get("fallthrough", 0)},
                                  "offVariation": e.get("offVariation", len(variations) - 1), "_version": 1}
                STATE["launchdarkly"]["flags"][key] = {"key": f["key"], "name": f.get("name", f["key"]),
                                                       "kind": "boolean" if all(isinstance(v["value"], bool) for v in variations) else "multivariate",
                                                       "variations": variations, "environments": envs, "_version": 1}


def snapshot():
    with LOCK:
        return {
            "unleash": {f"{p}/{n}": f["environments"] for (p, n), f in STATE["unleash"]["features"].items()},
            "launchdarkly": {f"{p}/{k}": {e: {"on": v["on"], "fallthrough": v["fallthrough"]["variation"],
                                              "served": f["variations"][v["fallthrough"]["variation"]]["value"]}
                                          for e, v in f["environments"].items()}
                             for (p, k), f in STATE["launchdarkly"]["flags"].items()},
        }


def take_fault(service):
    with LOCK:
        for fault in FAULTS:
            if fault["service"] == service and fault["count"] > 0:
                fault["count"] -= 1
                return dict(fault)
    return None


def authorize(service, header, write):
    """The token's access ("write" or "read"), or an error."""
    access = STATE[service]["tokens"].get(header or "")
    if access is None:
        raise ApiError(401, "You must log in to use Unleash. Your request had no valid authorization header."
                       if service == "unleash" else "Invalid account ID header")
    if write and access != "write":
        raise ApiError(403, "You need permission=UPDATE_FEATURE_ENVIRONMENT to perform this action"
                       if service == "unleash" else "Access to the requested resource was denied")


def unleash(method, parts, headers):
    # parts: api admin projects P features F [environments E on|off]
    if len(parts) < 6 or parts[:3] != ["api", "admin", "projects"] or parts[4] != "features":
        raise ApiError(404, "Not found")
    project, feature = parts[3], parts[5]
    write = method == "POST"
    authorize("unleash", headers.get("Authorization"), write)
    with LOCK:
        entry = STATE["unleash"]["features"].get((project, feature))
        if entry is None:
            raise ApiError(404, f"Could not find feature flag with name {feature} in project {project}")
        if method == "GET" and len(parts) == 6:
            return 200, {"name": feature, "project": project, "type": "release", "archived": False,
                         "environments": [{"name": n, "enabled": on, "type": "production" if n == "production" else "development"}
                                          for n, on in entry["environments"].items()]}
        if method == "POST" and len(parts) == 9 and parts[6] == "environments" and parts[8] in ("on", "off"):
            env = parts[7]
            if env not in entry["environments"]:
                raise ApiError(404, f"Could not find environment {env} for feature {feature}")
            entry["environments"][env] = parts[8] == "on"
            return 200, None
    raise ApiError(404, "Not found")


def launchdarkly(method, parts, query, headers, body):
    # parts: api v2 flags P F
    if len(parts) != 5 or parts[:3] != ["api", "v2", "flags"]:
        raise ApiError(404, "Unknown resource")
    project, key = parts[3], parts[4]
    authorize("launchdarkly", headers.get("Authorization"), method == "PATCH")
    with LOCK:
        flag = STATE["launchdarkly"]["flags"].get((project, key))
        if flag is None:
            raise ApiError(404, "Unknown resource")
        if method == "GET":
            envs = query.get("env")
            shown = dict(flag)
            if envs:
                shown["environments"] = {e: flag["environments"][e] for e in envs if e in flag["environments"]}
            return 200, shown
        if method != "PATCH":
            raise ApiError(405, "Method not allowed")
        if "domain-model=launchdarkly.semanticpatch" not in (headers.get("Content-Type") or ""):
            raise ApiError(400, "Invalid JSON Patch: expected an array of operations")
        try:
            patch = json.loads(body or b"null")
        except ValueError:
            raise ApiError(400, "Invalid JSON")
        if not isinstance(patch, dict) or not isinstance(patch.get("instructions"), list) or not patch["instructions"]:
            raise ApiError(400, "instructions is required")
        env_key = patch.get("environmentKey")
        if not env_key:
            raise ApiError(400, "environmentKey is required for this instruction")
        env = flag["environments"].get(env_key)
        if env is None:
            raise ApiError(404, "Unknown environment key")
        ids = {v["_id"]: i for i, v in enumerate(flag["variations"])}
        updated = json.loads(json.dumps(env))
        for instruction in patch["instructions"]:
            kind = instruction.get("kind") if isinstance(instruction, dict) else None
            if kind == "turnFlagOn":
                updated["on"] = True
            elif kind == "turnFlagOff":
                updated["on"] = False
            elif kind in ("updateFallthroughVariationOrRollout", "updateOffVariation"):
                if instruction.get("variationId") not in ids:
                    raise ApiError(400, "Invalid variationId")
                index = ids[instruction["variationId"]]
                if kind == "updateOffVariation":
                    updated["offVariation"] = index
                else:
                    updated["fallthrough"] = {"variation": index}
            else:
                raise ApiError(400, f"Unsupported instruction kind: {kind}")
        updated["_version"] = env["_version"] + 1
        flag["environments"][env_key] = updated
        flag["_version"] += 1
        return 200, flag


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, payload, extra=None):
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = [unquote(p) for p in url.path.split("/") if p]
        if parts[:1] == ["fake"]:
            return self.control(parts, body)
        service = "unleash" if parts[:2] == ["api", "admin"] else "launchdarkly"
        headers = {"Authorization": self.headers.get("Authorization"), "Content-Type": self.headers.get("Content-Type")}
        fault = take_fault(service)
        extra = {}
        try:
            if fault:
                if fault.get("delay"):
                    time.sleep(fault["delay"])
                if fault["status"] == 429:
                    wait = fault.get("retry_after", 0.05)
                    extra = {"Retry-After": str(int(wait))} if service == "unleash" else \
                        {"X-Ratelimit-Reset": str(int((time.time() + wait) * 1000))}
                    raise ApiError(429, "Too many requests" if service == "unleash" else "You've exceeded the API rate limit. Try again later.")
                raise ApiError(fault["status"], fault.get("message", "injected failure"))
            if service == "unleash":
                status, payload = unleash(self.command, parts, headers)
            else:
                status, payload = launchdarkly(self.command, parts, parse_qs(url.query), headers, body)
        except ApiError as error:
            status = error.status
            payload = unleash_error(status, error.message) if service == "unleash" else ld_error(status, error.message)
        with LOCK:
            REQUESTS.append({"service": service, "method": self.command, "path": url.path, "status": status,
                             "authorized": bool(headers["Authorization"]), "content_type": headers["Content-Type"],
                             "body": body.decode("utf-8", "replace")})
        self.reply(status, payload, extra)

    def control(self, parts, body):
        if parts == ["fake", "seed"] and self.command == "POST":
            seed(json.loads(body))
            return self.reply(200, snapshot())
        if parts == ["fake", "faults"] and self.command == "POST":
            with LOCK:
                FAULTS.append(json.loads(body))
            return self.reply(200, {})
        if parts == ["fake", "requests"]:
            with LOCK:
                return self.reply(200, list(REQUESTS))
        if parts == ["fake", "state"]:
            return self.reply(200, snapshot())
        return self.reply(404, {"message": "unknown control path"})

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = handle_any


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
