#!/usr/bin/env python3
"""A small Cloud Run Admin API (v1, Knative serving) fake for the test world.

Cloud Run has no emulator, so this serves what the real `gcloud run` commands
read and write (SPEC §5): the Knative `Service` resource under
/apis/serving.knative.dev/v1/namespaces/PROJECT/services/NAME (GET, PUT, POST,
DELETE), its revisions, `metadata.generation` / `status.observedGeneration`,
`spec.traffic` entries with revisionName / percent / tag / latestRevision,
the resolved `status.traffic`, and Ready conditions. As the real API does, a
change to `spec.template` creates a revision; traffic that does not add up to
100 or names a revision that does not exist is refused with the Google API
error shape {"error": {"code", "message", "status"}}.

Test control lives under /fake/: seed services, inject failures or delays,
read the request log, and set how a revision answers direct invocations (tag
URLs point back at this server so smoke tests can call a revision directly).
"""
import argparse
import copy
import json
import random
import string
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

API = "/apis/serving.knative.dev/v1/namespaces/"
LOCK = threading.Lock()
SERVICES = {}  # (namespace, name) -> Service
REVISIONS = {}  # (namespace, name) -> Revision
FAULTS = []  # {"status", "count", "method", "delay", "message"}
REQUESTS = []  # {"method", "path", "status"}
BEHAVIOUR = {}  # revision name -> HTTP status its direct invocation returns
STATUS_NAMES = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 409: "ALREADY_EXISTS",
                429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}


def now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ApiError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message

    def body(self):
        return {"error": {"code": self.code, "message": self.message, "status": STATUS_NAMES.get(self.code, "UNKNOWN")}}


def ready_conditions():
    stamp = now()
    return [{"type": kind, "status": "True", "lastTransitionTime": stamp} for kind in ("Ready", "ConfigurationsReady", "RoutesReady")]


def make_revision(namespace, service, name, template, generation, region):
    revision = {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Revision",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": str(uuid.uuid4()),
            "generation": 1,
            "creationTimestamp": now(),
            "labels": {
                "serving.knative.dev/service": service,
                "serving.knative.dev/configuration": service,
                "serving.knative.dev/configurationGeneration": str(generation),
                "cloud.googleapis.com/location": region,
            },
            "annotations": dict(template.get("metadata", {}).get("annotations", {})),
            "selfLink": f"{API}{namespace}/revisions/{name}",
        },
        "spec": copy.deepcopy(template.get("spec", {})),
        "status": {"observedGeneration": 1, "conditions": ready_conditions(), "logUrl": ""},
    }
    REVISIONS[(namespace, name)] = revision
    return revision


def revision_name(service, generation):
    suffix = "".join(random.choice(string.ascii_lowercase) for _ in range(3))
    return f"{service}-{generation:05d}-{suffix}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    base_url = ""

    def log_message(self, *args):
        pass

    # ---- plumbing -------------------------------------------------------
    def send_json(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        REQUESTS.append({"method": self.command, "path": urlparse(self.path).path, "status": code})

    def read_body(self):
        try:
            return json.loads(self.raw_body or b"{}")
        except ValueError:
            raise ApiError(400, "Invalid JSON payload received.")

    def handle_any(self):
        # Read the body first, whatever happens next: left unread on a kept-alive
        # connection it would be taken for the next request.
        length = int(self.headers.get("Content-Length") or 0)
        self.raw_body = self.rfile.read(length) if length else b""
        path = urlparse(self.path).path
        try:
            if path.startswith("/fake/"):
                return self.control(path)
            with LOCK:
                fault = self.take_fault()
            if fault:
                time.sleep(fault.get("delay", 0))
                if fault.get("status"):
                    raise ApiError(fault["status"], fault.get("message") or f"injected failure {fault['status']}")
            if not path.startswith(API):
                raise ApiError(404, f"The requested URL {path} was not found on this server.")
            parts = [unquote(p) for p in path[len(API):].split("/")]
            with LOCK:
                code, body = self.api(parts)
            self.send_json(code, body)
        except ApiError as error:
            self.send_json(error.code, error.body())

    def take_fault(self):
        for fault in FAULTS:
            if fault.get("method") and fault["method"] != self.command:
                continue
            if fault["count"] <= 0:
                continue
            fault["count"] -= 1
            return fault
        return None

    do_GET = do_PUT = do_POST = do_DELETE = handle_any

    # ---- the Knative serving v1 API -------------------------------------
    def api(self, parts):
        namespace = parts[0]
        if len(parts) == 2 and parts[1] == "services" and self.command == "GET":
            items = [s for (ns, _), s in SERVICES.items() if ns == namespace]
            return 200, {"apiVersion": "serving.knative.dev/v1", "kind": "ServiceList", "metadata": {}, "items": items}
        if len(parts) == 2 and parts[1] == "services" and self.command == "POST":
            body = self.read_body()
            name = body.get("metadata", {}).get("name", "")
            if (namespace, name) in SERVICES:
                raise ApiError(409, f"Resource '{name}' already exists.")
            return 200, self.create_service(namespace, name, body)
        if len(parts) == 3 and parts[1] == "services":
            key = (namespace, parts[2])
            if self.command == "GET":
                return 200, self.existing(key)
            if self.command == "PUT":
                return 200, self.replace_service(key, self.read_body())
            if self.command == "DELETE":
                self.existing(key)
                del SERVICES[key]
                return 200, {"status": "Success", "details": {"name": parts[2], "kind": "services"}}
        if len(parts) == 2 and parts[1] == "revisions" and self.command == "GET":
            query = parse_qs(urlparse(self.path).query)
            selector = query.get("labelSelector", [""])[0]
            wanted = selector.split("=", 1)[1] if selector.startswith("serving.knative.dev/service=") else None
            items = [r for (ns, _), r in REVISIONS.items()
                     if ns == namespace and (wanted is None or r["metadata"]["labels"]["serving.knative.dev/service"] == wanted)]
            return 200, {"apiVersion": "serving.knative.dev/v1", "kind": "RevisionList", "metadata": {}, "items": items}
        if len(parts) == 3 and parts[1] == "revisions" and self.command == "GET":
            revision = REVISIONS.get((namespace, parts[2]))
            if not revision:
                raise ApiError(404, f"Revision [{parts[2]}] not found.")
            return 200, revision
        raise ApiError(404, f"{self.command} {'/'.join(parts)} is not supported by this fake")

    def existing(self, key):
        service = SERVICES.get(key)
        if not service:
            raise ApiError(404, f"Resource '{key[1]}' of kind 'SERVICE' in region '{self.region()}' in project '{key[0]}' does not exist.")
        return service

    def region(self):
        host = (self.headers.get("Host") or "").split(":")[0]
        return host[: -len("-localhost")] if host.endswith("-localhost") else "us-central1"

    def create_service(self, namespace, name, body):
        if not name:
            raise ApiError(400, "metadata.name: Required")
        service = {
            "apiVersion": "serving.knative.dev/v1",
            "kind": "Service",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "uid": str(uuid.uuid4()),
                "generation": 0,
                "creationTimestamp": now(),
                "labels": {"cloud.googleapis.com/location": self.region()},
                "annotations": {},
                "selfLink": f"{API}{namespace}/services/{name}",
            },
            "spec": {"template": {"metadata": {}, "spec": {}}, "traffic": []},
            "status": {},
        }
        wanted = copy.deepcopy(body)
        wanted.setdefault("spec", {}).setdefault("traffic", [{"latestRevision": True, "percent": 100}])
        SERVICES[(namespace, name)] = service
        try:
            return self.apply(service, wanted, force_revision=True)
        except ApiError:
            del SERVICES[(namespace, name)]
            raise

    def replace_service(self, key, body):
        service = self.existing(key)
        if body.get("metadata", {}).get("name") not in (None, key[1]):
            raise ApiError(400, "metadata.name does not match the service in the URL")
        return self.apply(service, body, force_revision=False)

    def apply(self, service, body, force_revision):
        namespace, name = service["metadata"]["namespace"], service["metadata"]["name"]
        region = service["metadata"]["labels"].get("cloud.googleapis.com/location", self.region())
        template = copy.deepcopy(body.get("spec", {}).get("template", {}))
        traffic = copy.deepcopy(body.get("spec", {}).get("traffic", []))
        old_template = service["spec"].get("template", {})
        generation = service["metadata"]["generation"] + 1
        new_revision = None
        if force_revision or self.template_changed(old_template, template):
            wanted_name = template.get("metadata", {}).get("name")
            if wanted_name and (namespace, wanted_name) in REVISIONS:
                raise ApiError(409, f"Revision named '{wanted_name}' already exists.")
            new_revision = wanted_name or revision_name(name, generation)
        latest = new_revision or service["status"].get("latestReadyRevisionName")
        resolved = self.check_traffic(namespace, name, traffic, latest, new_revision)
        if new_revision:
            make_revision(namespace, name, new_revision, template, generation, region)
        service["metadata"]["generation"] = generation
        service["metadata"]["annotations"].update(body.get("metadata", {}).get("annotations", {}) or {})
        service["spec"] = {"template": template, "traffic": traffic}
        service["status"] = {
            "observedGeneration": generation,
            "conditions": ready_conditions(),
            "latestReadyRevisionName": latest,
            "latestCreatedRevisionName": latest,
            "url": f"{self.base_url}/fake/invoke/{namespace}/{name}",
            "address": {"url": f"{self.base_url}/fake/invoke/{namespace}/{name}"},
            "traffic": resolved,
        }
        return service

    @staticmethod
    def template_changed(old, new):
        def comparable(template):
            clean = copy.deepcopy(template)
            clean.get("metadata", {}).pop("name", None)
            return json.dumps(clean, sort_keys=True)
        return comparable(old) != comparable(new) or bool(new.get("metadata", {}).get("name"))

    def check_traffic(self, namespace, service, traffic, latest, new_revision):
        total = 0
        tags = set()
        resolved = []
        for entry in traffic:
            percent = entry.get("percent", 0)
            if not isinstance(percent, int) or not 0 <= percent <= 100:
                raise ApiError(400, f"spec.traffic.percent: must be an integer between 0 and 100, got {percent!r}")
            total += percent
            tag = entry.get("tag")
            if tag:
                if tag in tags:
                    raise ApiError(400, f"spec.traffic.tag: tag '{tag}' is used more than once")
                tags.add(tag)
            if entry.get("latestRevision"):
                revision = latest
            else:
                revision = entry.get("revisionName")
                if not revision:
                    raise ApiError(400, "spec.traffic: each entry needs revisionName or latestRevision: true")
                owner = REVISIONS.get((namespace, revision), {}).get("metadata", {}).get("labels", {}).get("serving.knative.dev/service")
                if owner != service and revision != new_revision:
                    raise ApiError(400, f"Revision named '{revision}' with traffic percent {percent} does not exist.")
            item = {"revisionName": revision, "percent": percent}
            if entry.get("latestRevision"):
                item["latestRevision"] = True
            if tag:
                item["tag"] = tag
                item["url"] = f"{self.base_url}/fake/invoke/{namespace}/{service}/{tag}"
            resolved.append(item)
        if traffic and total != 100:
            raise ApiError(400, f"spec.traffic: the percentages must add up to 100, they add up to {total}")
        return resolved

    # ---- test control ---------------------------------------------------
    def control(self, path):
        parts = path.split("/")[2:]
        if parts[0] == "invoke":
            return self.invoke(parts[1:])
        body = self.read_body() if self.command in ("POST", "PUT") else {}
        with LOCK:
            if parts == ["services"] and self.command == "POST":
                return self.send_json(200, self.seed(body))
            if parts == ["faults"] and self.command == "POST":
                FAULTS.append({"status": body.get("status"), "count": body.get("count", 1), "method": body.get("method"),
                               "delay": body.get("delay", 0), "message": body.get("message")})
                return self.send_json(200, {"faults": FAULTS})
            if parts == ["faults"] and self.command == "DELETE":
                FAULTS.clear()
                return self.send_json(200, {"faults": []})
            if parts == ["requests"] and self.command == "GET":
                return self.send_json(200, {"requests": REQUESTS[:]})
            if parts == ["behaviour"] and self.command == "POST":
                BEHAVIOUR[body["revision"]] = int(body.get("status", 200))
                return self.send_json(200, {"behaviour": BEHAVIOUR})
            if parts == ["state"] and self.command == "GET":
                return self.send_json(200, {"services": list(SERVICES.values())})
        raise ApiError(404, f"no control endpoint {self.command} {path}")

    def seed(self, body):
        """A service with `revisions` revisions, all traffic on the first: the state
        `gcloud run deploy --no-traffic` leaves after deploying the later ones."""
        namespace, name = body["project"], body["name"]
        region = body.get("region", "us-central1")
        template = {"metadata": {}, "spec": {"containers": [{"image": "gcr.io/fake/app:1"}]}}
        first = f"{name}-00001-aaa"
        service = {
            "apiVersion": "serving.knative.dev/v1",
            "kind": "Service",
            "metadata": {"name": name, "namespace": namespace, "uid": str(uuid.uuid4()), "generation": 1, "creationTimestamp": now(),
                         "labels": {"cloud.googleapis.com/location": region}, "annotations": {},
                         "selfLink": f"{API}{namespace}/services/{name}"},
            "spec": {"template": template, "traffic": [{"revisionName": first, "percent": 100}]},
            "status": {},
        }
        SERVICES[(namespace, name)] = service
        names = []
        for index in range(1, body.get("revisions", 1) + 1):
            revision = f"{name}-{index:05d}-{'abcdefgh'[index % 8] * 3}"
            make_revision(namespace, name, revision, template, index, region)
            names.append(revision)
        service["metadata"]["generation"] = len(names)
        service["spec"]["traffic"] = [{"revisionName": names[0], "percent": 100}]
        service["status"] = {"observedGeneration": len(names), "conditions": ready_conditions(),
                             "latestReadyRevisionName": names[-1], "latestCreatedRevisionName": names[-1],
                             "url": f"{self.base_url}/fake/invoke/{namespace}/{name}",
                             "address": {"url": f"{self.base_url}/fake/invoke/{namespace}/{name}"},
                             "traffic": [{"revisionName": names[0], "percent": 100}]}
        return {"service": name, "revisions": names}

    def invoke(self, parts):
        namespace, service = parts[0], parts[1]
        with LOCK:
            current = SERVICES.get((namespace, service))
            entries = current["status"]["traffic"] if current else []
            if len(parts) > 2:
                entries = [e for e in entries if e.get("tag") == parts[2]]
            revision = entries[0]["revisionName"] if entries else None
        if revision is None:
            raise ApiError(404, "no such service or tag")
        code = BEHAVIOUR.get(revision, 200)
        self.send_json(code, {"revision": revision, "ok": code < 400})


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    Handler.base_url = f"http://127.0.0.1:{args.port}"
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
