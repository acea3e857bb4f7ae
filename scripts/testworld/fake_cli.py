#!/usr/bin/env python3
"""A stand-in for `aws`, `gcloud` or `terraform` (linked under those names) that
answers from a script, for tests that need answers no real peer gives: absurd
numbers, huge strings, invalid JSON, control characters, injected workflow
commands. Only the hostile-input tests use it; everything else talks to the
real CLIs against moto, the Cloud Run fake and real terraform.

FAKE_CLI_ANSWERS names a JSON file mapping a command prefix to an answer:
  {"aws lambda get-alias": {"stdout": "...", "stderr": "...", "status": 0,
                            "outfile": "...", "sleep": 0.5},
   "gcloud": {...}, "*": {...}}
The longest prefix of the program name and its first positional words wins.
`outfile` is written to the last positional argument (the response file of `lambda invoke`).
FAKE_CLI_LOG, when set, gets one line per call.
"""
import json
import os
import sys
import time


def positional(args, limit=None):
    words, skip = [], False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg.startswith("-"):
            skip = arg.startswith("--") and "=" not in arg and arg not in ("--quiet", "--no-color")
            continue
        words.append(arg)
        if limit is not None and len(words) == limit:
            break
    return words


def main():
    program = os.path.basename(sys.argv[0])
    args = sys.argv[1:]
    if os.environ.get("FAKE_CLI_LOG"):
        with open(os.environ["FAKE_CLI_LOG"], "a") as log:
            log.write(json.dumps([program] + args) + "\n")
    with open(os.environ["FAKE_CLI_ANSWERS"]) as f:
        answers = json.load(f)
    words = [program] + positional(args, limit=3)
    answer = None
    for length in range(len(words), 0, -1):
        answer = answers.get(" ".join(words[:length]))
        if answer is not None:
            break
    if answer is None:
        answer = answers.get("*", {"stderr": f"fake {program}: no answer for {' '.join(words)}", "status": 2})
    if answer.get("sleep"):
        time.sleep(answer["sleep"])
    if "outfile" in answer and positional(args):
        with open(positional(args)[-1], "w") as out:
            out.write(answer["outfile"])
    sys.stdout.write(answer.get("stdout", ""))
    sys.stderr.write(answer.get("stderr", ""))
    sys.exit(answer.get("status", 0))


if __name__ == "__main__":
    main()
