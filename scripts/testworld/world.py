#!/usr/bin/env python3
"""Start and stop the shipctl test world: moto_server (AWS APIs; moto_logged.py), the traffic
simulator and Prometheus, each on a free 127.0.0.1 port.

  world.py up   --dir DIR [--no-prometheus] [--postgres] [--collector]
                                              start, wait until ready, write DIR/world.json and DIR/world.env
  world.py postgres --dir DIR                 start only PostgreSQL (for the state-backend tests and benchmarks)
  world.py stop --dir DIR NAME                stop one peer (moto, simulator, prometheus, postgres)
  world.py auth-proxy --dir DIR --authorization VALUE
                                              start an auth proxy in front of the world's Prometheus that
                                              passes only requests with that Authorization header; prints its URL
  world.py pause-postgres --dir DIR [--seconds S]   stop PostgreSQL at once, start it again after S seconds
  world.py history --dir DIR FILE             backfill an OpenMetrics FILE into the world's Prometheus
                                              (promtool tsdb create-blocks-from openmetrics, then a restart
                                              on the same port)
  world.py down --dir DIR                     stop everything started in DIR and remove DIR
  world.py sweep [--tmp DIR]                  down every shipctl-world-* folder whose test process is gone

Each peer runs in its own session, so the world outlives this launcher until
`down` is called; every pid is recorded in DIR/world.json.
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, timeout=30.0, method="GET"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=2) as r:
                if r.status < 500:
                    return
        except urllib.error.HTTPError as error:  # listening, and says so (a collector's 404 for a GET)
            if error.code < 500:
                return
            last = error
        except Exception as error:  # not listening yet
            last = error
        time.sleep(0.1)
    raise SystemExit(f"world: {url} did not answer within {timeout}s ({last})")


def terraform_mirror():
    """The folder above registry.terraform.io in this machine's provider mirror."""
    for candidate in ("/opt/tf-plugins",):
        if os.path.isdir(os.path.join(candidate, "registry.terraform.io")):
            return candidate
    found = subprocess.run(["find", "/", "-xdev", "-name", "terraform-provider-aws_*", "-path", "*registry.terraform.io*"],
                           capture_output=True, text=True).stdout.split()
    for path in found:
        return path[: path.index("/registry.terraform.io")]
    return None


def spawn(argv, log_path):
    log = open(log_path, "ab")
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True).pid


CLOUDRUN_REGIONS = ["us-central1", "europe-west1"]


def ensure_cloudrun_hosts():
    """gcloud calls REGION-localhost for a regional endpoint; those names must reach 127.0.0.1."""
    missing = []
    for region in CLOUDRUN_REGIONS:
        try:
            socket.gethostbyname(f"{region}-localhost")
        except OSError:
            missing.append(f"{region}-localhost")
    if not missing:
        return
    try:
        with open("/etc/hosts", "a") as hosts:
            hosts.write("127.0.0.1 " + " ".join(missing) + "  # shipctl test world: gcloud regional endpoints\n")
    except OSError as error:
        sys.exit(f"gcloud needs {', '.join(missing)} to resolve to 127.0.0.1 and /etc/hosts is not writable ({error}); "
                 f"add the line `127.0.0.1 {' '.join(missing)}` to /etc/hosts")


def postgres_bin():
    """The server programs of Debian's postgresql package (not on PATH)."""
    import glob
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise SystemExit("world: PostgreSQL is not installed (scripts/setup installs the `postgresql` package)")
    return os.path.dirname(found[-1])


def start_postgres(d, state):
    """initdb and pg_ctl refuse to run as root: both run as the `postgres` user on a
    folder it owns, listening on a free loopback port and a socket in that folder."""
    import shutil
    bin_dir = postgres_bin()
    data = f"{d}/postgres"
    os.makedirs(data, exist_ok=True)
    shutil.chown(data, "postgres", "postgres")
    os.chmod(d, 0o755)
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(as_postgres + [f"{bin_dir}/initdb", "-A", "trust", "-U", "postgres", "-D", f"{data}/data"],
                   check=True, capture_output=True)
    port = free_port()
    state["postgres"] = {"port": port, "data": f"{data}/data", "bin": bin_dir, "socket": data,
                         "url": f"postgres://postgres@127.0.0.1:{port}/postgres?sslmode=disable"}
    pg_ctl_start(state["postgres"])


def pg_ctl_start(info):
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    options = f"-p {info['port']} -k {info['socket']} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    subprocess.run(as_postgres + [f"{info['bin']}/pg_ctl", "-D", info["data"], "-l", f"{info['socket']}/server.log", "-w", "-t", "60",
                                  "-o", options, "start"], check=True, capture_output=True)


def pause_postgres(args):
    """Stops the world's PostgreSQL at once (as a crash or a failover does), and starts it
    again on the same port and data after `--seconds`."""
    state = load(args.dir)
    stop_postgres(state)
    time.sleep(args.seconds)
    pg_ctl_start(state["postgres"])


def stop_postgres(state):
    info = state.get("postgres")
    if not info:
        return
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(as_postgres + [f"{info['bin']}/pg_ctl", "-D", info["data"], "-m", "immediate", "stop"], capture_output=True)


def start_collector(d, state):
    """rotel, a real OpenTelemetry collector shipped in a PyPI wheel: OTLP/HTTP in, every span it
    receives printed to its log (the blackhole exporter sends them nowhere else)."""
    import rotel
    agent = os.path.join(os.path.dirname(rotel.__file__), "rotel-agent")
    http_port, grpc_port = free_port(), free_port()
    state["pids"]["collector"] = spawn(
        [agent, "start", "--otlp-http-endpoint", f"127.0.0.1:{http_port}",
         "--otlp-grpc-endpoint", f"127.0.0.1:{grpc_port}", "--exporter", "blackhole",
         "--debug-log", "traces", "--debug-log-verbosity", "detailed"], f"{d}/collector.log")
    state["collector"] = {"url": f"http://127.0.0.1:{http_port}", "log": f"{d}/collector.log"}
    wait_http(f"http://127.0.0.1:{http_port}/v1/traces")


def postgres_only(args):
    d = os.path.abspath(args.dir)
    os.makedirs(d, exist_ok=True)
    state = {"dir": d, "pids": {}}
    start_postgres(d, state)
    with open(f"{d}/world.json", "w") as f:
        json.dump(state, f, indent=2)
    print(json.dumps(state))


def up(args):
    d = os.path.abspath(args.dir)
    os.makedirs(d, exist_ok=True)
    # The process that asked for the world (a test runner): `sweep` ends worlds whose owner is gone.
    state = {"dir": d, "pids": {}, "owner": os.getppid()}
    try:
        start_world(args, d, state)
    except BaseException:
        # A world that could not start completely leaves nothing running behind,
        # and its folder (logs kept for a look) to the owner's `sweep`.
        kill(*state["pids"].values())
        state["pids"] = {}
        with open(f"{d}/world.json", "w") as f:
            json.dump(state, f, indent=2)
        raise


def start_world(args, d, state):

    moto_port = free_port()
    # moto_server itself, logging each AWS action shipctl calls to aws-actions.log (the permissions test).
    state["pids"]["moto"] = spawn([sys.executable, f"{HERE}/moto_logged.py", "--port", str(moto_port),
                                   "--actions", f"{d}/aws-actions.log"], f"{d}/moto.log")
    state["aws_actions"] = f"{d}/aws-actions.log"
    endpoint = f"http://127.0.0.1:{moto_port}"
    wait_http(f"{endpoint}/moto-api/")
    # Lambda invocations must not need Docker; moto wants this before any function exists.
    req = urllib.request.Request(f"{endpoint}/moto-api/config", method="POST",
                                 data=json.dumps({"lambda": {"use_docker": False}}).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=5).read()
    state["aws_endpoint"] = endpoint

    ensure_cloudrun_hosts()
    cloudrun_port = free_port()
    state["pids"]["cloudrun"] = spawn([sys.executable, f"{HERE}/cloudrun_fake.py", "--port", str(cloudrun_port)], f"{d}/cloudrun.log")
    state["cloudrun"] = f"http://127.0.0.1:{cloudrun_port}"
    wait_http(f"{state['cloudrun']}/fake/requests")

    flags_port = free_port()
    state["pids"]["flags"] = spawn([sys.executable, f"{HERE}/flags_fake.py", "--port", str(flags_port)], f"{d}/flags.log")
    state["flags"] = f"http://127.0.0.1:{flags_port}"
    wait_http(f"{state['flags']}/fake/state")

    hostile_port, elsewhere_port = free_port(), free_port()
    state["pids"]["hostile"] = spawn([sys.executable, f"{HERE}/hostile_peer.py", "--port", str(hostile_port),
                                      "--elsewhere-port", str(elsewhere_port)], f"{d}/hostile.log")
    state["hostile"] = f"http://127.0.0.1:{hostile_port}"
    wait_http(f"{state['hostile']}/fake/requests")

    notify_port = free_port()
    state["pids"]["notify"] = spawn([sys.executable, f"{HERE}/notify_receiver.py", "--port", str(notify_port)],
                                    f"{d}/notify.log")
    state["notify"] = f"http://127.0.0.1:{notify_port}"
    wait_http(f"{state['notify']}/fake/requests")

    sim_port = free_port()
    state["pids"]["simulator"] = spawn(
        [sys.executable, f"{HERE}/traffic_sim.py", "--port", str(sim_port), "--aws-endpoint", endpoint,
         "--cloudrun", state["cloudrun"]],
        f"{d}/simulator.log")
    state["simulator"] = f"http://127.0.0.1:{sim_port}"
    wait_http(f"{state['simulator']}/metrics")

    if not args.no_prometheus:
        prom_port = free_port()
        with open(f"{d}/prometheus.yml", "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: micro-app\n    static_configs:\n"
                    f"      - targets: ['127.0.0.1:{sim_port}']\n")
        state["pids"]["prometheus"] = spawn(
            ["prometheus", f"--config.file={d}/prometheus.yml", f"--storage.tsdb.path={d}/prometheus-data",
             f"--web.listen-address=127.0.0.1:{prom_port}"], f"{d}/prometheus.log")
        state["prometheus"] = f"http://127.0.0.1:{prom_port}"
        wait_http(f"{state['prometheus']}/-/ready")

    if args.postgres:
        start_postgres(d, state)

    if args.collector:
        start_collector(d, state)

    mirror = terraform_mirror()
    if mirror:
        with open(f"{d}/terraformrc", "w") as f:
            f.write(f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n  }}\n}}\n')
        state["terraform_cli_config"] = f"{d}/terraformrc"

    with open(f"{d}/world.json", "w") as f:
        json.dump(state, f, indent=2)
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "SIMULATOR_URL": state["simulator"],
        "PROMETHEUS_URL": state.get("prometheus", ""),
        # The Unleash and LaunchDarkly fakes share one address.
        "UNLEASH_URL": state["flags"],
        "LAUNCHDARKLY_URL": state["flags"],
        "TF_CLI_CONFIG_FILE": state.get("terraform_cli_config", ""),
        # The real gcloud, pointed at the Cloud Run fake (SPEC §5); it adds the
        # region to the host name: us-central1-localhost.
        "CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN": f"http://localhost:{cloudrun_port}/",
        "CLOUDSDK_AUTH_ACCESS_TOKEN": "fake-access-token-for-the-test-world",
        "CLOUDSDK_CORE_PROJECT": "shipctl-test",
        "CLOUDSDK_CORE_DISABLE_PROMPTS": "1",
        "CLOUDSDK_CONFIG": f"{d}/gcloud",
        "CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK": "1",
        "CLOUDSDK_CORE_DISABLE_USAGE_REPORTING": "1",
    }
    state["env"] = env
    with open(f"{d}/world.env", "w") as f:
        for key, value in env.items():
            f.write(f"export {key}={value}\n")
    print(json.dumps(state))


def running_groups():
    """The process groups that still have a running member. A zombie has ended whoever reaps it: in
    some containers PID 1 reaps orphans only every few seconds, and `killpg(pgid, 0)` still finds them."""
    groups = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and fields[0] not in ("Z", "X"):
            groups.add(int(fields[2]))
    return groups


def kill(*pids):
    """Ends each process group (every peer runs in its own), all at once: SIGTERM, then SIGKILL to
    whatever still runs 3 s later."""
    for sig, wait in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 1.0)):
        live = [pid for pid in pids if pid in running_groups()]
        if not live:
            return
        for pid in live:
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and running_groups().intersection(live):
            time.sleep(0.05)


def auth_proxy(args):
    state = load(args.dir)
    port = free_port()
    name = f"auth-proxy-{port}"
    state["pids"][name] = spawn(
        [sys.executable, f"{HERE}/auth_proxy.py", "--port", str(port), "--upstream", state["prometheus"],
         "--authorization", args.authorization], os.path.join(args.dir, f"{name}.log"))
    with open(os.path.join(args.dir, "world.json"), "w") as f:
        json.dump(state, f, indent=2)
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/fake/requests")
    print(url)


def load(d):
    with open(os.path.join(d, "world.json")) as f:
        return json.load(f)


def stop(args):
    state = load(args.dir)
    if args.name == "postgres":
        stop_postgres(state)
        state.pop("postgres", None)
    pid = state["pids"].pop(args.name, None)
    if pid:
        kill(pid)
    with open(os.path.join(args.dir, "world.json"), "w") as f:
        json.dump(state, f, indent=2)


def history(args):
    """Prometheus reads backfilled blocks when it starts: stop it, write the blocks into
    its data folder, start it again on the same address."""
    d = args.dir
    state = load(d)
    kill(state["pids"].pop("prometheus"))
    subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", args.file, f"{d}/prometheus-data"],
                   check=True, stdout=subprocess.DEVNULL)
    address = state["prometheus"].split("//", 1)[1]
    state["pids"]["prometheus"] = spawn(
        ["prometheus", f"--config.file={d}/prometheus.yml", f"--storage.tsdb.path={d}/prometheus-data",
         f"--web.listen-address={address}"], f"{d}/prometheus.log")
    with open(os.path.join(d, "world.json"), "w") as f:
        json.dump(state, f, indent=2)
    wait_http(f"{state['prometheus']}/-/ready")


def down(args):
    end_world(args.dir)


def end_world(d):
    """Stops everything the world started and removes its folder."""
    import shutil
    try:
        state = load(d)
    except (FileNotFoundError, ValueError):
        state = {"pids": {}}
    kill(*state["pids"].values())
    stop_postgres(state)
    shutil.rmtree(d, ignore_errors=True)


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep(args):
    """Ends every test world in the temporary folder whose owner has exited
    (a test class that crashed or was killed before its tearDown ran)."""
    import glob
    import tempfile
    for d in glob.glob(os.path.join(args.tmp or tempfile.gettempdir(), "shipctl-world-*")):
        try:
            owner = load(d).get("owner")
        except (FileNotFoundError, ValueError):
            # Half made (no world.json yet) by a runner that may still be starting it: only when old.
            if time.time() - os.path.getmtime(d) < 300:
                continue
            owner = None
        if owner is None or not alive(owner):
            end_world(d)


def functions(args):
    """Lambda functions with versions 1..N (each with different code), alias `live` on 1,
    and the model-toggle SSM parameter: one boto3 process instead of a CLI call per step."""
    import io
    import zipfile

    import boto3

    state = load(args.dir)
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    lam = session.client("lambda", endpoint_url=state["aws_endpoint"])
    iam = session.client("iam", endpoint_url=state["aws_endpoint"])
    ssm = session.client("ssm", endpoint_url=state["aws_endpoint"])
    try:
        iam.create_role(RoleName="micro-app", AssumeRolePolicyDocument="{}")
    except iam.exceptions.EntityAlreadyExistsException:
        pass

    def code(version):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("app.py", "def handler(event, context):\n    return {'version': %d}\n" % version)
        return buffer.getvalue()

    for name in args.names:
        lam.create_function(FunctionName=name, Runtime="python3.12", Handler="app.handler",
                            Role="arn:aws:iam::123456789012:role/micro-app", Code={"ZipFile": code(1)}, Publish=True)
        lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
        for version in range(2, args.versions + 1):
            lam.update_function_code(FunctionName=name, ZipFile=code(version), Publish=True)
    ssm.put_parameter(Name="/micro-app/prod/MODEL_PROVIDER", Value="big-llm", Type="String", Overwrite=True)
    wait_for_series(state, args.names, args.versions)


def wait_for_series(state, names, versions):
    """Until the simulator has found every version of the new functions and Prometheus has
    scraped them: a canary started sooner finds no series for its version and is judged on nothing."""
    import urllib.parse
    deadline = time.monotonic() + 30
    for name in names:
        query = f'count by (version) (llm_requests_total{{function="{name}",status="ok"}})'
        while time.monotonic() < deadline:
            try:
                if state.get("prometheus"):
                    url = f"{state['prometheus']}/api/v1/query?" + urllib.parse.urlencode({"query": query})
                    with urllib.request.urlopen(url, timeout=2) as response:
                        found = len(json.load(response)["data"]["result"])
                else:
                    with urllib.request.urlopen(f"{state['simulator']}/metrics", timeout=2) as response:
                        text = response.read().decode()
                    found = sum(f'function="{name}",version="{v}",status="ok"' in text for v in range(1, versions + 1))
                if found >= versions:
                    break
            except OSError:
                pass
            time.sleep(0.2)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("up")
    p.add_argument("--dir", required=True)
    p.add_argument("--no-prometheus", action="store_true")
    p.add_argument("--postgres", action="store_true")
    p.add_argument("--collector", action="store_true")
    p.set_defaults(func=up)
    p = sub.add_parser("postgres")
    p.add_argument("--dir", required=True)
    p.set_defaults(func=postgres_only)
    p = sub.add_parser("pause-postgres")
    p.add_argument("--dir", required=True)
    p.add_argument("--seconds", type=float, default=4)
    p.set_defaults(func=pause_postgres)
    p = sub.add_parser("history")
    p.add_argument("--dir", required=True)
    p.add_argument("file")
    p.set_defaults(func=history)
    p = sub.add_parser("auth-proxy")
    p.add_argument("--dir", required=True)
    p.add_argument("--authorization", required=True)
    p.set_defaults(func=auth_proxy)
    p = sub.add_parser("stop")
    p.add_argument("--dir", required=True)
    p.add_argument("name")
    p.set_defaults(func=stop)
    p = sub.add_parser("functions")
    p.add_argument("--dir", required=True)
    p.add_argument("--versions", type=int, default=2)
    p.add_argument("names", nargs="+")
    p.set_defaults(func=functions)
    p = sub.add_parser("sweep")
    p.add_argument("--tmp")
    p.set_defaults(func=sweep)
    p = sub.add_parser("down")
    p.add_argument("--dir", required=True)
    p.set_defaults(func=down)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
