#!/usr/bin/env python3
"""Writes a valid audit log of N records for api/prod, shaped like a busy team's
year: deployments of 20 records each (start, two shifts, fourteen evaluations,
the completing call, finish), every one hash-chained as shipctl writes them.

  make_log.py FILE N
"""
import hashlib
import json
import sys


def main():
    path, count = sys.argv[1], int(sys.argv[2])
    prev = "0" * 64
    with open(path, "w") as out:
        for seq in range(1, count + 1):
            n, position = divmod(seq - 1, 20)
            deployment = f"api-prod-deploy-{n:06d}"
            stable, canary = str(n + 1), str(n + 2)
            action, phase, args, outcome = "analysis", "info", {"metric": "error-rate", "value": 0.001, "threshold": "max 0.02", "verdict": "pass"}, "pass"
            if position == 0:
                action, args, outcome = "deployment.start", {"stable": stable, "canary": canary, "target": "lambda micro-app-api:live"}, None
            elif position in (1, 2, 3, 4):
                action, phase = "traffic.shift", "intent" if position % 2 else "result"
                args, outcome = {"weight": 10 if position < 3 else 50, "canary": canary, "stable": stable}, None if position % 2 else "ok"
            elif position in (17, 18):
                action, phase = "traffic.complete", "intent" if position == 17 else "result"
                args, outcome = {"weight": 100, "canary": canary, "stable": stable}, None if position == 17 else "ok"
            elif position == 19:
                action, args, outcome = "deployment.finish", {"version": canary, "previous": stable}, "succeeded"
            record = {"seq": seq, "ts": "2026-11-23T06:20:00.000Z", "deployment": deployment, "service": "api", "env": "prod",
                      "actor": "bench", "run": None, "step": "step 1/3", "phase": phase, "action": action, "args": args,
                      "outcome": outcome, "duration_ms": None, "prev": prev}
            body = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            digest = hashlib.sha256((prev + "\n" + body).encode()).hexdigest()
            out.write(body[:-1] + f',"hash":"{digest}"}}\n')
            prev = digest


if __name__ == "__main__":
    main()
