#!/usr/bin/env python3
"""Images/s of `kiln serve` on kiln-shapes by max batch size (dynamic batching).

    /usr/bin/python3 bench/server_batching_bench.py [--kiln build/release/kiln] [--jobs 32]
        [--batches 1,2,4,8,16] [--size 64] [--steps 20] [--runs 2] [--compute-threads 2]

For each max batch size (in turn, interleaved over --runs rounds): a fresh server with one
worker, --max-batch-size B and a 50 ms max queue delay; --jobs compatible jobs submitted at
once (same size and steps, different seeds and prompts); images/s = jobs / (time from the
first submit to the last job Ready). Also reports the mean batch size the server ran
(kiln_batch_size histogram) and the ratio of each batch size to batch 1.
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROMPTS = ["a large red circle in the top left on a white background",
           "a small blue square in the center on a black background",
           "a green triangle to the left of a yellow circle on a white background",
           "a medium purple square in the bottom right on a gray background"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(method, url, key=None, body=None):
    headers = {"content-type": "application/json"}
    if key:
        headers["x-key"] = key
    req = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(),
                                 method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read()


def one_round(args, batch):
    data = tempfile.mkdtemp(prefix="kiln-batch-")
    key = subprocess.run([args.kiln, "keys", "create", "--tenant", "bench", "--data-dir", data],
                         capture_output=True, text=True, check=True).stdout.strip()
    port = free_port()
    log = open(os.path.join(data, "serve.log"), "w")
    proc = subprocess.Popen([args.kiln, "serve", "--port", str(port), "--data-dir", data, "--workers", "1",
                             "--compute-threads", str(args.compute_threads), "--max-batch-size", str(batch),
                             "--max-queue-delay-ms", "50", "--log-format", "text"],
                            stdout=log, stderr=log, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                call("GET", base + "/readyz")
                break
            except Exception:
                time.sleep(0.1)
        start = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            ids = list(pool.map(lambda i: json.loads(call("POST", base + "/v1/kiln-shapes", key, {
                "prompt": PROMPTS[i % len(PROMPTS)], "seed": i, "width": args.size, "height": args.size,
                "steps": args.steps, "output_format": "png"}))["id"], range(args.jobs)))
        pending = set(ids)
        while pending:
            for job in list(pending):
                status = json.loads(call("GET", f"{base}/v1/get_result?id={job}", key))["status"]
                if status == "Ready":
                    pending.discard(job)
                elif status != "Pending":
                    raise RuntimeError(f"job {job}: {status}")
            time.sleep(0.01)
        seconds = time.perf_counter() - start
        metrics = call("GET", base + "/metrics").decode()
        total = float(re.search(r"kiln_batch_size_sum (\S+)", metrics).group(1))
        count = float(re.search(r"kiln_batch_size_count (\S+)", metrics).group(1))
        return args.jobs / seconds, total / count
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        log.close()
        shutil.rmtree(data, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kiln", default=os.path.join(ROOT, "build/release/kiln"))
    p.add_argument("--jobs", type=int, default=32)
    p.add_argument("--batches", default="1,2,4,8,16")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--compute-threads", type=int, default=2)
    args = p.parse_args()
    batches = [int(b) for b in args.batches.split(",")]
    results = {b: [] for b in batches}
    for r in range(args.runs):
        for b in batches:
            results[b].append(one_round(args, b))
            print(f"run {r + 1} max batch {b}: {results[b][-1][0]:.2f} images/s, mean batch {results[b][-1][1]:.2f}")
    base = statistics.median(x[0] for x in results[batches[0]])
    print(f"\n{args.jobs} jobs of {args.size}x{args.size}, {args.steps} steps, 1 worker, "
          f"{args.compute_threads} compute threads (medians of {args.runs})")
    print("| max batch size | images/s | mean batch run | vs batch 1 |")
    print("|---|---|---|---|")
    for b in batches:
        ips = statistics.median(x[0] for x in results[b])
        mean_batch = statistics.median(x[1] for x in results[b])
        print(f"| {b} | {ips:.2f} | {mean_batch:.2f} | {ips / base:.2f} |")


if __name__ == "__main__":
    main()
