#!/usr/bin/env python3
"""The latency moderation adds to `kiln serve`, measured side by side.

    /usr/bin/python3 bench/moderation_latency_bench.py [--kiln build/release/kiln] [--requests 300]
        [--rounds 3] [--images 60] [--threads 2]

Prompt check: two API-only servers (--workers 0, so nothing else computes), one with moderation
and one with --no-moderation, alternating in rounds; each gets --requests submits one after the
other (a realistic prompt each) and the client times every submit. The difference of the
medians and of the p99s is the latency the prompt check adds (its thread, MiniLM, the heads, the
lexicons, the decision). Image check: POST /v1/moderations with one image at a time (64×64 and
1024×1024 PNGs), timed by the client (includes HTTP and PNG decoding), next to the server's own
kiln_moderation_check_seconds. Prints a Markdown table.
"""
import argparse
import base64
import io
import json
import os
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request
import zlib
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROMPTS = [
    "a photo of a cat sitting on a windowsill, golden hour, 35mm",
    "A majestic lion standing on a rock at sunset, highly detailed, 8k, trending on artstation",
    "portrait of an old fisherman with a weathered face, dramatic lighting, oil painting",
    "isometric pixel art of a cozy coffee shop interior with plants and warm lights",
    "a futuristic city skyline at night, neon lights reflecting on wet streets, cyberpunk style, flying cars",
    "children playing football in a park on a sunny afternoon, watercolor",
    "logo for a bakery called Sunrise Bread, minimalist, vector",
    "a large red circle in the top left on a white background",
    "a blue square to the left of a yellow triangle on a black background",
    "ein gemütliches Café in Wien im Winter, Schnee, warmes Licht",
    "a breast stroke swimmer in an olympic pool, sports photography",
    "shooting star over a desert at night, long exposure",
    "a chef's knife skills class, close up of hands chopping onions",
    "beautiful landscape, mountains, lake, reflection, sunrise, photorealistic, masterpiece",
    "a knight in shining armour fighting a dragon, epic fantasy painting",
    "product photo of a perfume bottle on black velvet, studio lighting",
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url, key, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"content-type": "application/json", "x-key": key})
    start = time.perf_counter()
    with urllib.request.urlopen(req, timeout=60) as r:
        r.read()
    return (time.perf_counter() - start) * 1e3


def png(width, height):
    """A deterministic smooth colour field, PNG-encoded (no PIL needed)."""
    rows = b"".join(b"\x00" + bytes(((x * 255) // width, (y * 255) // height, ((x + y) * 127) // (width + height))[c]
                                     for x in range(width) for c in range(3)) for y in range(height))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b""))


class Server:
    def __init__(self, kiln, moderation, threads):
        self.data = tempfile.mkdtemp(prefix="kiln-modlat-")
        self.key = subprocess.run([kiln, "keys", "create", "--tenant", "bench", "--data-dir", self.data],
                                  capture_output=True, text=True, check=True, cwd=ROOT).stdout.strip()
        self.port = free_port()
        self.log = open(os.path.join(self.data, "serve.log"), "w")
        args = [kiln, "serve", "--port", str(self.port), "--data-dir", self.data, "--workers", "0",
                "--log-format", "text", "--queue-capacity", "100000"]
        if not moderation:
            args.append("--no-moderation")
        if moderation:
            args += ["--moderation-threads", str(threads)]
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log, cwd=ROOT)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/readyz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not start; see " + self.log.name)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100.0 * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kiln", default=os.path.join(ROOT, "build/release/kiln"))
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--images", type=int, default=60)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    times = {True: [], False: []}
    for _ in range(args.rounds):
        for moderation in (False, True):
            srv = Server(args.kiln, moderation, args.threads)
            try:
                for i in range(10):  # warm-up
                    post(srv.base + "/v1/kiln-shapes", srv.key, {"prompt": PROMPTS[i % len(PROMPTS)]})
                for i in range(args.requests):
                    times[moderation].append(post(srv.base + "/v1/kiln-shapes", srv.key,
                                                  {"prompt": PROMPTS[i % len(PROMPTS)], "seed": i}))
            finally:
                srv.stop()
    off, on = times[False], times[True]
    print(f"load average: {os.getloadavg()[0]:.2f}; {args.rounds} rounds x {args.requests} submits each; "
          f"moderation threads {args.threads}")
    print("| submit latency | median ms | p99 ms |")
    print("|---|---|---|")
    print(f"| moderation off | {statistics.median(off):.2f} | {pct(off, 99):.2f} |")
    print(f"| moderation on | {statistics.median(on):.2f} | {pct(on, 99):.2f} |")
    print(f"| added by the prompt check | {statistics.median(on) - statistics.median(off):.2f} | "
          f"{pct(on, 99) - pct(off, 99):.2f} |")

    srv = Server(args.kiln, True, args.threads)
    try:
        print("\n| POST /v1/moderations, one image | median ms | p99 ms |")
        print("|---|---|---|")
        for side in (64, 1024):
            url = "data:image/png;base64," + base64.b64encode(png(side, side)).decode()
            body = {"input": [{"type": "image_url", "image_url": {"url": url}}]}
            for _ in range(3):
                post(srv.base + "/v1/moderations", srv.key, body)
            t = [post(srv.base + "/v1/moderations", srv.key, body) for _ in range(args.images)]
            print(f"| {side}×{side} PNG | {statistics.median(t):.2f} | {pct(t, 99):.2f} |")
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
