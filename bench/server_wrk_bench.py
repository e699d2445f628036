#!/usr/bin/env python3
"""HTTP throughput of `kiln serve` against nginx, side by side, with wrk (Debian).

    /usr/bin/python3 bench/server_wrk_bench.py [--kiln build/release/kiln] [--seconds 10]
        [--connections 64] [--threads 2] [--runs 3] [--json out.json]

Three loads, each for --runs rounds, interleaved so that machine noise hits all alike:
  nginx      GET of a static JSON file with exactly the bytes of a real get_result answer
             (the practical ceiling of this machine: nginx 1.22, worker_processes auto,
             access_log off, keep-alive)
  get_result GET /v1/get_result?id=<a Ready job> on kiln serve, 2 network threads (x-key auth,
             tenant check, signed URL, JSON access log line per request); and the same with
             --io-threads 1
  submit     POST /v1/kiln-shapes, each answered only after its job is committed to SQLite
             (WAL, synchronous=FULL, group commit); kiln runs with --workers 0 (API only) so
             the compute of the queued jobs does not share the cores with the API

wrk runs on the same 2 cores as the server (as the issue's nginx figure was measured).
Prints requests/s and p50/p99 latency medians over the rounds, and the ratios to nginx.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, headers=None, timeout=10):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read()


def wait_ready(url, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if http("GET", url, timeout=1)[0] == 200:
                return
        except Exception:
            time.sleep(0.1)
    raise RuntimeError(f"{url} not ready after {seconds} s")


def parse_wrk(text):
    def seconds(value, unit):
        return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    lat = {}
    for pct in ("50", "99"):
        m = re.search(rf"\s{pct}(?:\.000)?%\s+([\d.]+)(us|ms|s|m)\b", text)
        lat[pct] = seconds(m.group(1), m.group(2))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(r"Socket errors:.*", text)
    return {"rps": rps, "p50_ms": lat["50"] * 1e3, "p99_ms": lat["99"] * 1e3,
            "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": errors.group(0) if errors else ""}


def run_wrk(args, url, headers=(), script=None):
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.seconds}s", "--latency"]
    for h in headers:
        cmd += ["-H", h]
    if script:
        cmd += ["-s", script]
    cmd.append(url)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return parse_wrk(out)


def new_data_dir(args, work, name):
    """A data directory under work with a key for the tenant "bench"; returns (dir, key)."""
    data = os.path.join(work, name)
    os.makedirs(data)
    key = subprocess.run([args.kiln, "keys", "create", "--tenant", "bench", "--data-dir", data],
                         capture_output=True, text=True, check=True).stdout.strip()
    return data, key


def start_kiln(args, data_dir, port, workers, io_threads=2):
    env = dict(os.environ)
    log = open(os.path.join(data_dir, f"serve-{port}.log"), "w")
    proc = subprocess.Popen([args.kiln, "serve", "--port", str(port), "--data-dir", data_dir,
                             "--workers", str(workers), "--queue-capacity", "10000000",
                             "--io-threads", str(io_threads)],
                            stdout=log, stderr=log, env=env, cwd=ROOT)
    wait_ready(f"http://127.0.0.1:{port}/readyz")
    return proc


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kiln", default=os.path.join(ROOT, "build/release/kiln"))
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--json")
    args = p.parse_args()
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None and not os.path.exists(f"/usr/sbin/{tool}"):
            sys.exit(f"{tool} not found: scripts/setup.sh installs it")

    work = tempfile.mkdtemp(prefix="kiln-wrk-")
    os.chmod(work, 0o755)  # nginx's workers run as another user and must read www/
    procs = []
    try:
        # kiln for get_result: one real Ready job to poll.
        data_get, key = new_data_dir(args, work, "get")
        port_get = free_port()
        kiln_get = start_kiln(args, data_get, port_get, workers=1)
        procs.append(kiln_get)
        base = f"http://127.0.0.1:{port_get}"
        _, body = http("POST", base + "/v1/kiln-shapes",
                       json.dumps({"prompt": "a large red circle in the top left on a white background",
                                   "seed": 7}).encode(), {"x-key": key, "content-type": "application/json"})
        job = json.loads(body)["id"]
        for _ in range(600):
            _, answer = http("GET", f"{base}/v1/get_result?id={job}", headers={"x-key": key})
            if json.loads(answer)["status"] == "Ready":
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("the job did not become Ready")

        # The same store behind a server with one network thread (API only): lower tail latency,
        # lower throughput, on a machine whose two cores wrk shares.
        port_get1 = free_port()
        procs.append(start_kiln(args, data_get, port_get1, workers=0, io_threads=1))

        # nginx serving the same bytes.
        www = os.path.join(work, "www", "v1")
        os.makedirs(www)
        with open(os.path.join(www, "get_result"), "wb") as f:
            f.write(answer)
        nginx_port = free_port()
        conf = os.path.join(work, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""worker_processes auto;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  default_type application/json;
  keepalive_requests 1000000;
  client_body_temp_path {work}/tmp; proxy_temp_path {work}/tmp; fastcgi_temp_path {work}/tmp;
  uwsgi_temp_path {work}/tmp; scgi_temp_path {work}/tmp;
  server {{ listen 127.0.0.1:{nginx_port}; root {work}/www; }}
}}
""")
        os.makedirs(os.path.join(work, "tmp"))
        nginx = subprocess.Popen(["/usr/sbin/nginx", "-c", conf, "-g", "daemon off;"])
        procs.append(nginx)
        wait_ready(f"http://127.0.0.1:{nginx_port}/v1/get_result")

        # kiln for submits: API only.
        data_sub, key_sub = new_data_dir(args, work, "submit")
        port_sub = free_port()
        kiln_sub = start_kiln(args, data_sub, port_sub, workers=0)
        procs.append(kiln_sub)
        lua = os.path.join(work, "submit.lua")
        with open(lua, "w") as f:
            f.write('wrk.method = "POST"\n'
                    'wrk.body = \'{"prompt": "a blue square to the left of a yellow triangle on a black background", '
                    '"width": 64, "height": 64, "steps": 4}\'\n'
                    'wrk.headers["Content-Type"] = "application/json"\n'
                    f'wrk.headers["x-key"] = "{key_sub}"\n')

        loads = {
            "nginx": lambda: run_wrk(args, f"http://127.0.0.1:{nginx_port}/v1/get_result"),
            "get_result": lambda: run_wrk(args, f"{base}/v1/get_result?id={job}", headers=[f"x-key: {key}"]),
            "get_result, 1 io thread": lambda: run_wrk(args, f"http://127.0.0.1:{port_get1}/v1/get_result?id={job}",
                                                       headers=[f"x-key: {key}"]),
            "submit": lambda: run_wrk(args, f"http://127.0.0.1:{port_sub}/v1/kiln-shapes", script=lua),
        }
        results = {name: [] for name in loads}
        for r in range(args.runs):
            for name, load in loads.items():
                results[name].append(load())
                print(f"run {r + 1} {name}: {results[name][-1]}", file=sys.stderr)

        summary = {}
        for name, runs in results.items():
            summary[name] = {k: statistics.median(x[k] for x in runs) for k in ("rps", "p50_ms", "p99_ms")}
            summary[name]["non2xx"] = sum(x["non2xx"] for x in runs)
        # Every acknowledged submit must be in the store.
        _, metrics = http("GET", f"http://127.0.0.1:{port_sub}/metrics")
        m = re.search(rb"kiln_jobs_submitted_total (\d+)", metrics)
        summary["submit"]["jobs_committed"] = int(m.group(1)) if m else None
        ng = summary["nginx"]
        print(f"\n{args.connections} connections, wrk {args.threads} threads, {args.seconds} s x {args.runs} runs "
              f"(medians); body {len(answer)} bytes")
        print("| load | requests/s | p50 ms | p99 ms | vs nginx req/s | vs nginx p99 |")
        print("|---|---|---|---|---|---|")
        for name, s in summary.items():
            print(f"| {name} | {s['rps']:.0f} | {s['p50_ms']:.2f} | {s['p99_ms']:.2f} | "
                  f"{s['rps'] / ng['rps']:.2f} | {s['p99_ms'] / ng['p99_ms']:.2f} |")
        print(f"non-2xx answers: { {k: v['non2xx'] for k, v in summary.items()} }; "
              f"submits committed: {summary['submit']['jobs_committed']}")
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"summary": summary, "runs": results, "body_bytes": len(answer)}, f, indent=2)
    finally:
        for proc in procs:
            stop(proc)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
