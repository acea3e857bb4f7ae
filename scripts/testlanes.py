#!/usr/bin/env python3
"""Runs the XCTest classes of the built test bundle in a few concurrent lanes.

Most end-to-end tests spend their time waiting (canary pauses, terraform,
process start-up), and every test class starts its own peers on free ports, so
classes can run side by side. Each lane runs its classes one after another,
each in its own xctest process: the order is the one dealt here, not whatever
order a build happens to give the bundle's modules, and a class that crashes
takes no other class down with it. The classes are dealt out longest first by
the durations measured on a 2-core machine (a class not in the table counts as
30 s, or 1 s in the in-process unit test module).

Each lane's output is printed whole when the lane ends, so lines never
interleave; the exit status is 1 when any class failed. A CI log often keeps
only its end, so the failures are repeated last: each failed test with its
error lines, and for a class that died mid-test (a crash or a signal) the end
of its output. With --failures FILE that summary is also appended to FILE, for
a caller that runs more after this and prints it at its own end.

    scripts/testlanes.py [--lanes N] [--module NAME] [--skip CLASS ...] [--only CLASS ...] [--failures FILE]
"""
import argparse
import os
import re
import subprocess
import sys
import threading
import time

# Seconds per class, measured in a two-lane run on a 2-core machine like the CI one.
MEASURED = {
    "JudgeEndToEndTests": 420, "InterruptionTests": 193, "PostgresStateTests": 187,
    "SecretsAndProviderFaultTests": 147, "PlanCommandTests": 135, "PreviewTests": 185, "CloudRunPromoteTests": 89,
    "HostilePeerTests": 88, "LambdaPromoteTests": 67, "TerraformPromoteTests": 58, "FanOutTests": 52,
    "HostileAnswersTests": 49, "TraceTests": 55, "MetricAuthTests": 45, "LiveViewTests": 46,
    "CloudWatchGateTests": 41, "FaultTests": 40,
    "FlagCommandTests": 36, "HostileConfigTests": 34, "LockTakeoverRaceTests": 30, "WitnessTests": 24,
    "AnalysisConfirmationTests": 25, "JudgeEngineTests": 34, "ReportTests": 20, "ReleaseTarballTests": 20,
    "DatabaseOutageTests": 16, "InjectionTests": 15, "AnalyzeTests": 18, "CommandContractTests": 15,
    "JudgeBenchmarkTests": 7, "JudgeLedgerSimulationTests": 11, "AuditChainTests": 2, "HostileInputTests": 3,
    "SigV4Tests": 1,
    "ConfigValidateCommandTests": 1, "InitCommandTests": 1, "DoctorTests": 70, "StatusWatchTests": 80,
    "GateInputTests": 85, "SpoolTests": 10, "NotificationTests": 90, "DemoTests": 35,
}
# The in-process unit test classes, and any other class not measured above that
# is known to be quick, count as this; new end-to-end classes as DEFAULT_SECONDS.
QUICK_SECONDS = 1
QUICK_MODULE = "ShipctlKitTests"
DEFAULT_SECONDS = 30


def bundle_path():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    path = subprocess.run(["swift", "build", "--show-bin-path"], cwd=root, check=True,
                          capture_output=True, text=True).stdout.strip()
    return os.path.join(path, "shipctlPackageTests.xctest")


def classes(bundle):
    listing = subprocess.run([bundle, "--list-tests"], check=True, capture_output=True, text=True).stdout
    found = []
    for line in listing.splitlines():
        name = line.strip().split("/")[0]
        if name.count(".") == 1 and "/" in line and name not in found:
            found.append(name)
    return found


def seconds(name):
    module, cls = name.split(".")
    return MEASURED.get(cls, QUICK_SECONDS if module == QUICK_MODULE else DEFAULT_SECONDS)


def deal(names, lanes):
    """Longest first, each class to the lane with the least work so far."""
    work = [[0, []] for _ in range(lanes)]
    for name in sorted(names, key=lambda n: -seconds(n)):
        lane = min(work, key=lambda w: w[0])
        lane[0] += seconds(name)
        lane[1].append(name)
    return [names for _, names in work if names]


STARTED_CASE = re.compile(r"^Test Case '(.+)' started")
FAILED_CASE = re.compile(r"^Test Case '(.+)' failed")
ERROR_LINE = re.compile(r" error: ")
SUITE_DONE = re.compile(r"^Test Suite 'Selected tests' (passed|failed)")


def failure_summary(name, returncode, log_path):
    """What a reader of the log's last lines needs: which tests failed and why."""
    with open(log_path, errors="replace") as handle:
        lines = handle.read().splitlines()
    summary = [f"{name} exited {returncode}:"]
    summary.extend("  " + line for line in lines if ERROR_LINE.search(line) or FAILED_CASE.match(line))
    if not any(SUITE_DONE.match(line) for line in lines):
        started = [m.group(1) for m in map(STARTED_CASE.match, lines) if m]
        running = started[-1] if started else "before its first test"
        summary.append(f"  the class ended without finishing its tests (a crash or a signal) in {running}; its last lines:")
        summary.extend("    " + line for line in lines[-30:])
    return summary


class Lane(threading.Thread):
    """One class after another, each in its own xctest process with its own log."""

    def __init__(self, number, names, bundle, logs):
        super().__init__(daemon=True)
        self.number, self.names, self.bundle, self.logs = number, names, bundle, logs
        self.results = []  # (class, exit status, seconds, log path)

    def run(self):
        for name in self.names:
            log_path = os.path.join(self.logs, f"{name}.log")
            started = time.monotonic()
            with open(log_path, "w") as log:
                status = subprocess.call([self.bundle, name], stdout=log, stderr=subprocess.STDOUT)
            # A class that crashed or was killed never ran its tearDown: end the worlds it left.
            subprocess.call([sys.executable, WORLD, "sweep"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.results.append((name, status, time.monotonic() - started, log_path))


WORLD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "testworld", "world.py")


def leftovers():
    """Test world folders still in the temporary folder, and processes still writing into one: after a run,
    both lists must be empty."""
    import glob
    import tempfile
    folders = glob.glob(os.path.join(tempfile.gettempdir(), "shipctl-world-*"))
    processes = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            # Every peer a world starts writes its output to a log in the world's folder.
            output = os.readlink(f"/proc/{entry}/fd/1")
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if "/shipctl-world-" in output:
            processes.append(f"{entry} {command[:200]} (output to {output})")
    return folders, processes


def main():
    parser = argparse.ArgumentParser(description="Run the XCTest classes in concurrent lanes.")
    parser.add_argument("--lanes", type=int, default=int(os.environ.get("SHIPCTL_TEST_LANES", "2")))
    parser.add_argument("--module", help="run only the classes of this test module")
    parser.add_argument("--skip", nargs="*", default=[], help="class names to leave out")
    parser.add_argument("--only", nargs="*", default=[], help="run only these class names")
    parser.add_argument("--failures", help="append the failure summary to this file too")
    args = parser.parse_args()

    bundle = bundle_path()
    names = [n for n in classes(bundle) if n.split(".")[1] not in args.skip
             and (not args.only or n.split(".")[1] in args.only)
             and (not args.module or n.split(".")[0] == args.module)]
    if not names:
        print("testlanes: no test class to run", file=sys.stderr)
        return 1
    logs = os.path.join(os.path.dirname(bundle), "test-lanes")
    os.makedirs(logs, exist_ok=True)
    started = time.monotonic()
    lanes = []
    for index, dealt in enumerate(deal(names, max(1, args.lanes))):
        print(f"lane {index + 1}: {' '.join(n.split('.')[1] for n in dealt)}", flush=True)
        lanes.append(Lane(index + 1, dealt, bundle, logs))
    for lane in lanes:
        lane.start()

    failed = []
    pending = list(lanes)
    while pending:
        for lane in [lane for lane in pending if not lane.is_alive()]:
            pending.remove(lane)
            print(f"\n===== lane {lane.number}: ended after {time.monotonic() - started:.0f} s =====", flush=True)
            for name, status, took, log_path in lane.results:
                print(f"----- {name}: exit {status} after {took:.0f} s -----", flush=True)
                with open(log_path, errors="replace") as handle:
                    sys.stdout.write(handle.read())
                sys.stdout.flush()
                if status != 0:
                    failed.append(failure_summary(name, status, log_path))
        time.sleep(1)
    subprocess.call([sys.executable, WORLD, "sweep"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    folders, processes = leftovers()
    if folders or processes:
        failed.append(["test worlds were left behind after the run (a world that outlives its test class):"]
                      + [f"  folder {folder}" for folder in folders] + [f"  process {process}" for process in processes])
    if failed:
        text = "\n".join(line for summary in failed for line in summary)
        print(f"\ntestlanes: {len(failed)} class(es) failed\n{text}", flush=True)
        if args.failures:
            with open(args.failures, "a") as handle:
                handle.write(text + "\n")
        return 1
    print(f"\ntestlanes: {len(names)} class(es) in {len(lanes)} lane(s) passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
