#!/usr/bin/env python3
"""moto_server, with a log of the AWS actions shipctl called.

  moto_logged.py --port PORT --actions FILE

Serves exactly what `moto_server -H 127.0.0.1 -p PORT` serves. Every request
whose User-Agent carries `app/shipctl` (shipctl's signed API calls, and the aws
CLI it starts) adds one line `service:Action` to FILE, in IAM's spelling
(`lambda:UpdateAlias`, `cloudwatch:GetMetricStatistics`), so a test can hold
every call shipctl made against the permissions it documents. Calls from the
tests' own setup name another app and are not logged.
"""
import argparse
import io
import os
import re
import threading
import urllib.parse

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

SHIPCTL = re.compile(r"(^|\s)app/shipctl(\s|$)")
SCOPE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request")
# IAM's service prefix where the signing name differs.
IAM_PREFIX = {"monitoring": "cloudwatch", "execute-api": "execute-api"}
# The Lambda REST API (2015-03-31) routes shipctl uses, as IAM names their actions.
LAMBDA_ROUTES = [
    ("GET", re.compile(r"/functions/[^/]+/aliases/[^/]+$"), "GetAlias"),
    ("PUT", re.compile(r"/functions/[^/]+/aliases/[^/]+$"), "UpdateAlias"),
    ("GET", re.compile(r"/functions/[^/]+/configuration$"), "GetFunctionConfiguration"),
    ("POST", re.compile(r"/functions/[^/]+/versions$"), "PublishVersion"),
    ("POST", re.compile(r"/functions/[^/]+/invocations$"), "InvokeFunction"),
    ("GET", re.compile(r"/functions/[^/]+/aliases$"), "ListAliases"),
    ("GET", re.compile(r"/functions/[^/]+/versions$"), "ListVersionsByFunction"),
    ("GET", re.compile(r"/functions/[^/]+$"), "GetFunction"),
    ("GET", re.compile(r"/functions/?$"), "ListFunctions"),
]


def action_of(environ, body):
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return target.rsplit(".", 1)[-1]
    path = urllib.parse.unquote(environ.get("PATH_INFO", ""))
    # The Smithy RPC v2 protocol (CloudWatch in newer CLIs): /service/NAME/operation/ACTION
    match = re.search(r"/service/[^/]+/operation/([A-Za-z]+)$", path)
    if match:
        return match.group(1)
    form = urllib.parse.parse_qs(body.decode("utf-8", "replace")) if body else {}
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    for fields in (form, query):
        if "Action" in fields:
            return fields["Action"][0]
    method = environ.get("REQUEST_METHOD", "")
    for route_method, pattern, action in LAMBDA_ROUTES:
        if method == route_method and pattern.search(path):
            return action
    return f"UNKNOWN({method} {path})"


class ActionLog:
    def __init__(self, app, path):
        self.app = app
        self.path = path
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if SHIPCTL.search(environ.get("HTTP_USER_AGENT", "")):
            body = b""
            length = environ.get("CONTENT_LENGTH") or ""
            if length.isdigit() and int(length) > 0:
                body = environ["wsgi.input"].read(int(length))
                environ["wsgi.input"] = io.BytesIO(body)
            scope = SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
            service = scope.group(1) if scope else "unsigned"
            line = f"{IAM_PREFIX.get(service, service)}:{action_of(environ, body)}\n"
            with self.lock, open(self.path, "a") as log:
                log.write(line)
        return self.app(environ, start_response)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--actions", required=True)
    args = parser.parse_args()
    # moto builds the URLs it hands out (queue URLs and the like) from this, as moto_server sets it.
    os.environ.setdefault("MOTO_PORT", str(args.port))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple("127.0.0.1", args.port, ActionLog(app, args.actions), threaded=True)


if __name__ == "__main__":
    main()
