#!/usr/bin/env python3
"""The canary figures of the benchmark, against a running test world (moto,
Prometheus with a 1 s scrape, the traffic simulator):

  detection  a canary whose error rate jumps (set in the simulator while it is
             in its pause) with a 2 s interval and failure_limit 1: from the first
             scraped sample above the threshold to the alias change, and from the
             moment it turned bad; medians over RUNS runs
  rollback   `shipctl rollback` with one SSM flag flip against one bare
             `aws lambda update-alias`, medians of ROUNDS
  fan-out    20 services (10 % for 30 s, then 100 %) in one `promote --all`
             against one service alone

  canary_bench.py WORLD_DIR SHIPCTL
Prints Markdown table rows.
"""
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import datetime

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORLD, SHIPCTL = sys.argv[1], sys.argv[2]
STATE = json.load(open(os.path.join(WORLD, "world.json")))
ENV = dict(os.environ, AWS_ENDPOINT_URL=STATE["aws_endpoint"], AWS_ACCESS_KEY_ID="testing",
           AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1", PROMETHEUS_URL=STATE["prometheus"])
ENV.pop("GITHUB_ACTIONS", None)
ENV.pop("CI", None)
RUNS = int(os.environ.get("RUNS", "5"))
ROUNDS = int(os.environ.get("ROUNDS", "9"))
QUERY = ('sum(rate(llm_requests_total{function="%s",version="2",status="error"}[30s])) / '
         'sum(rate(llm_requests_total{function="%s",version="2"}[30s]))')


def functions(names, versions=2):
    subprocess.run([sys.executable, f"{ROOT}/scripts/testworld/world.py", "functions", "--dir", WORLD, "--versions", str(versions)] + names,
                   check=True, capture_output=True)


def behaviour(function, error_rate):
    body = json.dumps({"function": function, "version": "2", "error_rate": error_rate}).encode()
    urllib.request.urlopen(urllib.request.Request(STATE["simulator"] + "/behaviour", data=body, method="POST"), timeout=10).read()


def service(key, function, steps, interval="2s", flags=False):
    text = f"""  {key}:
    provider: lambda
    lambda: {{ function: {function}, alias: live }}
    strategy:
      steps:
{steps}
    analysis:
      interval: {interval}
      failure_limit: 1
      inconclusive_limit: 30
      metrics:
        - name: error-rate
          prometheus: sum(rate(llm_requests_total{{function="{{{{function}}}}",version="{{{{canary}}}}",status="error"}}[30s])) / sum(rate(llm_requests_total{{function="{{{{function}}}}",version="{{{{canary}}}}"}}[30s]))
          max: 0.02
"""
    if flags:
        text += "    on_failure:\n      flags:\n        - { ssm: /micro-app/prod/MODEL_PROVIDER, value: small-llm }\n"
    return text


def config(name, services):
    folder = os.path.join(WORLD, "canary-bench", name)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "shipctl.yaml")
    with open(path, "w") as f:
        f.write("version: 1\nstate: { dir: .shipctl }\nenvironments:\n  prod: { region: us-east-1, prometheus: \"${PROMETHEUS_URL}\" }\nservices:\n" + services)
    return path


def records(path):
    log = os.path.join(os.path.dirname(path), ".shipctl", "audit.jsonl")
    return [json.loads(line) for line in open(log)] if os.path.exists(log) else []


def ts(text):
    """An audit record's `ts` (UTC, milliseconds) as Unix seconds."""
    return (datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ") - datetime(1970, 1, 1)).total_seconds()


def first_breach(function, start, end):
    """When the error-rate query first came out above the threshold: evaluated every 100 ms,
    its value only changes when a new sample is scraped."""
    params = urllib.parse.urlencode({"query": QUERY % (function, function), "start": start, "end": end, "step": "0.1"})
    answer = json.load(urllib.request.urlopen(f"{STATE['prometheus']}/api/v1/query_range?{params}", timeout=10))
    for result in answer["data"]["result"]:
        for at, value in result["values"]:
            if float(value) > 0.02:
                return float(at)
    return None


def detection():
    from_sample, from_bad = [], []
    for run in range(RUNS):
        function = f"det-{run}"
        functions([function])
        path = config(function, service("api", function, "          - { weight: 10, pause: 60s }\n          - { weight: 100 }"))
        promote = subprocess.Popen([SHIPCTL, "promote", "--service", "api", "--env", "prod", "--version", "2", "--config", path],
                                   env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline and sum(r["action"] == "analysis" for r in records(path)) < 3:
            time.sleep(0.1)
        time.sleep(0.37 * run % 1.0)  # turn bad at different points of the scrape and interval cycles
        turned_bad = time.time()
        behaviour(function, 0.5)
        promote.wait(timeout=120)
        behaviour(function, 0.0)
        revert = [r for r in records(path) if r["action"] == "traffic.revert" and r["phase"] == "result"]
        if not revert:
            continue
        reverted = ts(revert[0]["ts"])
        breach = first_breach(function, turned_bad - 2, reverted + 1)
        from_bad.append(reverted - turned_bad)
        if breach is not None:
            from_sample.append(reverted - breach)
    return from_sample, from_bad


def median_time(command, env=ENV):
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def rollback():
    functions(["rb-flag"])
    path = config("rb-flag", service("api", "rb-flag", "          - { weight: 100 }", flags=True))
    bare = median_time(["aws", "--region", "us-east-1", "lambda", "update-alias", "--function-name", "rb-flag", "--name", "live",
                        "--function-version", "1", "--routing-config", '{"AdditionalVersionWeights":{}}', "--output", "json"])
    ours = median_time([SHIPCTL, "rollback", "--service", "api", "--env", "prod", "--to", "1", "--config", path])
    return ours, bare


def fan_out(count=20):
    names = [f"fan-{n:02d}" for n in range(count)]
    functions(names + ["fan-one"])
    steps = "          - { weight: 10, pause: 30s }\n          - { weight: 100 }"
    many = config("fan-many", "".join(service(name, name, steps) for name in names))
    one = config("fan-one", service("api", "fan-one", steps))
    versions = [argument for name in names for argument in ("--version", f"{name}=2")]
    started = time.perf_counter()
    subprocess.run([SHIPCTL, "promote", "--all", "--env", "prod", "--max-parallel", str(count), "--config", many] + versions,
                   env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    all_of_them = time.perf_counter() - started
    started = time.perf_counter()
    subprocess.run([SHIPCTL, "promote", "--service", "api", "--env", "prod", "--version", "2", "--config", one],
                   env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return all_of_them, time.perf_counter() - started


def main():
    from_sample, from_bad = detection()
    if from_sample:
        print(f"| breach → revert, from the first scraped sample above the threshold (median of {len(from_sample)}; "
              f"{min(from_sample):.1f}–{max(from_sample):.1f} s) | {statistics.median(from_sample):.2f} s | 1 s (scrape interval) | "
              f"{statistics.median(from_sample):.2f} | ≤ 2.5 s |")
    if from_bad:
        print(f"| breach → revert, from the moment the canary turned bad (median of {len(from_bad)}) | {statistics.median(from_bad):.2f} s | "
              f"2 s (analysis interval) | {statistics.median(from_bad) / 2:.2f} | (reported) |")
    ours, bare = rollback()
    print(f"| rollback with one flag flip (median of {ROUNDS}) | {ours * 1000:.0f} ms | {bare * 1000:.0f} ms (bare update-alias) | {ours / bare:.2f} | ≤ 1.15 |")
    many, one = fan_out()
    print(f"| promote --all, 20 services (10 % for 30 s, then 100 %) | {many:.1f} s | {one:.1f} s (one service) | {many / one:.2f} | ≤ 1.5 |")


if __name__ == "__main__":
    main()
