"""Fixtures for the `kiln serve` integration tests: they run the real binary.

Helpers shared by the test modules are imported from `kiln_server_it` (this
module, registered under that name). The binary is $KILN_BIN (default build/release/kiln, relative to the repository
root). When it is missing, or is a build without `kiln serve`, every test here
is skipped with the reason.

Each test module starts its own server(s) on a free port with a fresh data
directory (module-scoped fixtures built from `kiln_server_factory`). Every
wait in these helpers is bounded, so no test can hang.
"""

import hashlib
import hmac
import http.server
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

import pytest
import requests

# The test modules import these helpers as `kiln_server_it`: a unique name, so
# this file never collides with another directory's conftest.py in sys.modules.
sys.modules.setdefault("kiln_server_it", sys.modules[__name__])

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))

# Sizes that keep the suite quick on a 2-core machine.
FAST = {"width": 64, "height": 64, "steps": 2}
# A job that runs for seconds (long enough to observe it running, cancel it,
# or keep a single worker busy).
SLOW = {"width": 256, "height": 256, "steps": 50}

PENDING_STATES = {"queued", "running"}
ALLOWED_STATUSES = {"Pending", "Ready", "Request Moderated", "Content Moderated", "Error", "Task not found"}
TERMINAL_STATUSES = {"Ready", "Request Moderated", "Content Moderated", "Error"}


# ---------------------------------------------------------------------------
# The binary


def _kiln_bin_path():
    path = os.environ.get("KILN_BIN", "build/release/kiln")
    if not os.path.isabs(path):
        path = os.path.join(REPO_ROOT, path)
    return path


def _check_kiln_bin():
    """Returns (path, None) or (None, why it cannot be used)."""
    path = _kiln_bin_path()
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        return None, "kiln binary not found at %s (build it, or set KILN_BIN)" % path
    try:
        probe = subprocess.run([path, "serve", "--help"], cwd=REPO_ROOT, capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, "%s serve --help failed: %s" % (path, e)
    if probe.returncode != 0:
        return None, "%s has no working `serve` command (serve --help exited %d)" % (path, probe.returncode)
    return path, None


@pytest.fixture(scope="session")
def kiln_bin():
    path, why = _check_kiln_bin()
    if path is None:
        pytest.skip(why)
    return path


def pytest_collection_modifyitems(config, items):
    # One check for the whole directory: skip everything here, with the reason,
    # when the server binary cannot be run.
    here = os.path.dirname(os.path.abspath(__file__))
    mine = [item for item in items if str(item.fspath).startswith(here + os.sep)]
    if not mine:
        return
    path, why = _check_kiln_bin()
    if path is None:
        marker = pytest.mark.skip(reason=why)
        for item in mine:
            item.add_marker(marker)


# ---------------------------------------------------------------------------
# Servers


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _clean_env():
    # A KILN_* setting of the environment must not leak into the servers under test.
    return {k: v for k, v in os.environ.items() if not k.startswith("KILN_")}


class KilnServer:
    """One `kiln serve` process: start, wait for /readyz, keys, stop, kill -9."""

    def __init__(self, binary, data_dir, args=(), port=None, log_format="text"):
        self.binary = binary
        self.data_dir = str(data_dir)
        os.makedirs(self.data_dir, exist_ok=True)
        self.args = list(args)
        self.log_format = log_format
        self.port = port or free_port()
        self.proc = None
        self.stderr_path = None
        self._stderr_file = None
        self._starts = 0

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def create_key(self, tenant, rate=None, burst=None, max_active=None, max_priority=None):
        cmd = [self.binary, "keys", "create", "--tenant", tenant, "--data-dir", self.data_dir]
        for flag, value in (("--rate", rate), ("--burst", burst), ("--max-active", max_active),
                            ("--max-priority", max_priority)):
            if value is not None:
                cmd += [flag, str(value)]
        out = subprocess.run(cmd, cwd=REPO_ROOT, env=_clean_env(), capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, "kiln keys create failed (%d): %s" % (out.returncode, out.stderr)
        key = out.stdout.strip()
        assert key and "\n" not in key, "unexpected key output: %r" % out.stdout
        return key

    def create_admin_key(self):
        cmd = [self.binary, "keys", "create", "--admin", "--data-dir", self.data_dir]
        out = subprocess.run(cmd, cwd=REPO_ROOT, env=_clean_env(), capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, "kiln keys create --admin failed (%d): %s" % (out.returncode, out.stderr)
        return out.stdout.strip()

    def start(self, timeout=60.0):
        assert self.proc is None, "already running"
        self._starts += 1
        self.stderr_path = os.path.join(self.data_dir, "server-%d.stderr.log" % self._starts)
        self._stderr_file = open(self.stderr_path, "wb")
        cmd = [self.binary, "serve", "--port", str(self.port), "--data-dir", self.data_dir,
               "--log-format", self.log_format] + self.args
        self.proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=_clean_env(), stdin=subprocess.DEVNULL,
                                     stdout=self._stderr_file, stderr=self._stderr_file)
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=60.0):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("kiln serve exited with %s before it was ready; log:\n%s" %
                                     (self.proc.returncode, self.log_text()[-4000:]))
            try:
                r = requests.get(self.url + "/readyz", timeout=2)
                last = r.status_code
                if r.status_code == 200:
                    return
            except requests.RequestException as e:
                last = repr(e)
            time.sleep(0.1)
        raise AssertionError("kiln serve not ready within %.0f s (last /readyz: %s); log:\n%s" %
                             (timeout, last, self.log_text()[-4000:]))

    def log_text(self):
        if not self.stderr_path or not os.path.exists(self.stderr_path):
            return ""
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def _close_log(self):
        if self._stderr_file is not None:
            self._stderr_file.close()
            self._stderr_file = None

    def stop(self, timeout=20.0):
        """SIGTERM, then SIGKILL if it has not exited within `timeout`."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        code = self.proc.returncode
        self.proc = None
        self._close_log()
        return code

    def kill9(self):
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.proc = None
        self._close_log()


@pytest.fixture(scope="module")
def kiln_server_factory(kiln_bin, tmp_path_factory):
    """Makes KilnServer objects (not started) with their own port and data dir; stops them all at the end."""
    servers = []

    def make(args=(), log_format="text", name="srv", moderation=False):
        # Moderation off unless a module tests it: nsfwjs now and then scores a harmless
        # kiln-shapes image high enough to hold it, which would make unrelated tests flaky.
        data_dir = tmp_path_factory.mktemp(name)
        args = list(args) + ([] if moderation else ["--no-moderation"])
        srv = KilnServer(kiln_bin, data_dir, args=args, log_format=log_format)
        servers.append(srv)
        return srv

    yield make
    for srv in servers:
        srv.stop()


# ---------------------------------------------------------------------------
# Client helpers


def submit(srv, key, body, model="kiln-shapes", headers=None, timeout=30, **kwargs):
    h = {"x-key": key} if key is not None else {}
    h.update(headers or {})
    return requests.post(srv.url + "/v1/" + model, json=body, headers=h, timeout=timeout, **kwargs)


def submit_ok(srv, key, body, model="kiln-shapes", headers=None):
    r = submit(srv, key, body, model=model, headers=headers)
    assert r.status_code == 200, "submit %s -> %d %s" % (body, r.status_code, r.text)
    return r.json()


def get_result(srv, key, job_id, timeout=30):
    r = requests.get(srv.url + "/v1/get_result", params={"id": job_id}, headers={"x-key": key}, timeout=timeout)
    assert r.status_code == 200, "get_result -> %d %s" % (r.status_code, r.text)
    body = r.json()
    assert body["status"] in ALLOWED_STATUSES, body
    return body


def wait_until(srv, key, job_id, predicate, timeout=60.0, interval=0.05, what="condition"):
    """Polls get_result until predicate(body) holds; returns that body."""
    deadline = time.monotonic() + timeout
    body = None
    while time.monotonic() < deadline:
        body = get_result(srv, key, job_id)
        if predicate(body):
            return body
        time.sleep(interval)
    raise AssertionError("job %s: %s not reached within %.0f s; last get_result: %s" % (job_id, what, timeout, body))


def wait_terminal(srv, key, job_id, timeout=90.0):
    return wait_until(srv, key, job_id, lambda b: b["status"] in TERMINAL_STATUSES, timeout=timeout,
                      what="a terminal status")


def wait_ready(srv, key, job_id, timeout=90.0):
    body = wait_terminal(srv, key, job_id, timeout=timeout)
    assert body["status"] == "Ready", body
    return body


def wait_running(srv, key, job_id, timeout=60.0):
    return wait_until(srv, key, job_id,
                      lambda b: b["status"] != "Pending" or (b.get("details") or {}).get("state") == "running",
                      timeout=timeout, what="running")


def cancel(srv, key, job_id):
    return requests.delete(srv.url + "/v1/tasks/" + job_id, headers={"x-key": key}, timeout=30)


def cancel_quietly(srv, key, job_ids):
    """Cleanup: cancels jobs that may or may not have finished (errors ignored)."""
    for job_id in reversed(list(job_ids)):
        try:
            cancel(srv, key, job_id)
        except requests.RequestException:
            pass


def wait_idle(srv, key, job_ids, timeout=90.0):
    """Waits until every job given is terminal (so the next test finds an idle worker)."""
    for job_id in job_ids:
        wait_terminal(srv, key, job_id, timeout=timeout)


def hmac_sha256_hex(secret, body):
    if isinstance(secret, str):
        secret = secret.encode()
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def new_traceparent():
    trace_id = uuid.uuid4().hex
    span_id = uuid.uuid4().hex[:16]
    return trace_id, "00-%s-%s-01" % (trace_id, span_id)


_METRIC_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """Prometheus text → list of (name, {label: value}, float value)."""
    samples = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = _METRIC_LINE.match(line)
        assert m, "not a Prometheus sample line: %r" % line
        labels = dict(_LABEL.findall(m.group(3) or ""))
        samples.append((m.group(1), labels, float(m.group(4))))
    return samples


def get_metrics(srv):
    r = requests.get(srv.url + "/metrics", timeout=30)
    assert r.status_code == 200, r.text
    return r.text, parse_metrics(r.text)


def metric_value(samples, name, **labels):
    """Sum of the samples of `name` whose labels include `labels` (0 when none)."""
    total = 0.0
    for n, l, v in samples:
        if n == name and all(l.get(k) == want for k, want in labels.items()):
            total += v
    return total


# ---------------------------------------------------------------------------
# Webhook receiver


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 in a thread; records every POST as (path, headers, raw body)."""

    def __init__(self, status=200):
        self.requests = []
        self.status = status
        self.fail_first = {}  # path -> how many of its first requests get a 500
        self._cond = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver._cond:
                    receiver.requests.append((self.path, headers, raw))
                    receiver._cond.notify_all()
                    status = receiver.status
                    if receiver.fail_first.get(self.path, 0) > 0:
                        receiver.fail_first[self.path] -= 1
                        status = 500
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def url(self, path="/hook"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def wait_for(self, path, timeout=30.0, count=1):
        """The requests to `path` once at least `count` arrived, or those there are after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                got = [r for r in self.requests if r[0] == path]
                remaining = deadline - time.monotonic()
                if len(got) >= count or remaining <= 0:
                    return got
                self._cond.wait(min(remaining, 0.5))

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def webhook_receiver():
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


# ---------------------------------------------------------------------------
# Server-sent events


def iter_sse(response, deadline):
    """Yields (event, data) from an open event-stream response as each event arrives.

    data is JSON-decoded (or the raw text when it is not JSON). Raises
    AssertionError once time.monotonic() passes `deadline` while the stream is open.
    """
    event, data = None, []
    # chunk_size=1: the stream has no length and no chunking, so bigger reads would wait for more bytes.
    for raw in response.iter_lines(chunk_size=1):
        if time.monotonic() > deadline:
            raise AssertionError("event stream still open past its deadline")
        line = raw.decode("utf-8")
        if line == "":
            if event is not None or data:
                text = "\n".join(data)
                try:
                    payload = json.loads(text)
                except ValueError:
                    payload = text
                yield event or "message", payload
            event, data = None, []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "event":
            event = value
        elif field == "data":
            data.append(value)


def open_sse(url, headers, read_timeout=30.0):
    """GET an event stream (stream=True, bounded connect and read timeouts); use as a context manager."""
    r = requests.get(url, headers=headers, stream=True, timeout=(10, read_timeout))
    assert r.status_code == 200, "events -> %d %s" % (r.status_code, r.text)
    assert r.headers.get("Content-Type", "").startswith("text/event-stream"), r.headers
    return r


def read_sse(url, headers, timeout=60.0, read_timeout=30.0):
    """Reads a server-sent event stream until the server closes it; returns [(event, data)].

    Bounded: at most `timeout` seconds in all, and `read_timeout` seconds without a byte.
    """
    deadline = time.monotonic() + timeout
    events = []
    with open_sse(url, headers, read_timeout) as r:
        try:
            for item in iter_sse(r, deadline):
                events.append(item)
        except AssertionError as e:
            raise AssertionError("%s after %.0f s; events so far: %s" % (e, timeout, events))
    return events
