"""The playground (web/index.html + web/playground.js) in a real browser
against the real `kiln serve`.

Starts the binary ($KILN_BIN, default build/release/kiln) on a free port with a
fresh data dir, creates a key, then drives headless Chromium over the Chrome
DevTools Protocol (a minimal websocket client below: the standard library
only). One test generates an image through the page and checks its size (and
saves a screenshot to tests/integration/artifacts/playground.png); another
checks that a bad key or a bad field shows a readable error.

Run: KILN_BIN=build/release/kiln /usr/bin/python3 -m pytest tests/integration/playground_browser_test.py -v
Every wait is bounded; the server and Chromium are killed in the fixtures' teardown.
"""

import base64
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ARTIFACTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "artifacts")
KILN_BIN = os.path.join(REPO, os.environ.get("KILN_BIN", "build/release/kiln"))
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")

# Not the server's default 128x128 (the image's size proves the form was read), and
# near the 64x64 kiln-shapes was trained at, so the screenshot shows a shape.
WIDTH, HEIGHT = 80, 64
PROMPT = "a large red circle in the top left on a white background"


# ---- helpers ---------------------------------------------------------------

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    """(status, body bytes); connection errors raise OSError."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def stop(proc, name):
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        print(f"{name} did not stop on SIGTERM; killing it")
        proc.kill()
        proc.wait(timeout=10)


def tail(path, n=4000):
    try:
        with open(path, "rb") as f:
            return f.read()[-n:].decode("utf-8", "replace")
    except OSError:
        return ""


# ---- a minimal websocket client (RFC 6455: handshake, masked text frames) ----

class WebSocket:
    def __init__(self, url, timeout=10):
        assert url.startswith("ws://"), url
        hostport, _, path = url[5:].partition("/")
        host, _, port = hostport.partition(":")
        self.sock = socket.create_connection((host, int(port or 80)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("websocket handshake: connection closed")
            head += chunk
        head, _, self.buf = head.partition(b"\r\n\r\n")
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status + b" ":
            raise ConnectionError(f"websocket handshake refused: {head.decode(errors='replace')}")

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise ConnectionError("websocket closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _send_frame(self, opcode, payload):
        header = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send(self, text):
        self._send_frame(0x1, text.encode())

    def recv(self, timeout):
        """The next text message (reassembling fragments; answering pings)."""
        self.sock.settimeout(timeout)
        message = b""
        while True:
            b0, b1 = self._read(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x8:
                raise ConnectionError("websocket closed by the peer")
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode in (0x0, 0x1, 0x2):
                message += payload
                if b0 & 0x80:
                    return message.decode()

    def close(self):
        try:
            self._send_frame(0x8, b"")
        except OSError:
            pass
        self.sock.close()


class Cdp:
    """Chrome DevTools Protocol calls on one page target."""

    def __init__(self, ws_url):
        self.ws = WebSocket(ws_url)
        self.next_id = 0

    def call(self, method, timeout=30, **params):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"CDP {method}: no answer in {timeout} s")
            msg = json.loads(self.ws.recv(left))
            if msg.get("id") != my_id:
                continue  # an event, or an older answer
            if "error" in msg:
                raise RuntimeError(f"CDP {method}: {msg['error']}")
            return msg.get("result", {})

    def eval(self, expression, timeout=30):
        r = self.call("Runtime.evaluate", timeout=timeout, expression=expression, returnByValue=True,
                      awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"JS exception in {expression!r}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def wait_for(self, expression, timeout, what):
        """Polls a JS expression until it is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.eval(expression)
            if value:
                return value
            time.sleep(0.2)
        raise TimeoutError(f"{what}: not within {timeout} s (page: {self.page_state()})")

    def page_state(self):
        try:
            return self.eval("JSON.stringify({status: document.getElementById('status')?.textContent,"
                             " outcome: document.getElementById('outcome')?.textContent,"
                             " meta: document.getElementById('meta')?.textContent, url: location.href})", timeout=5)
        except Exception as e:  # the page itself may be the problem
            return f"(unavailable: {e})"

    def close(self):
        self.ws.close()


# ---- fixtures ----------------------------------------------------------------

@pytest.fixture(scope="module")
def server():
    if not os.access(KILN_BIN, os.X_OK):
        pytest.skip(f"kiln binary not found at {KILN_BIN}: build it (cmake --build build/release --target kiln) "
                    "or set KILN_BIN")
    work = tempfile.mkdtemp(prefix="kiln-playground-")
    data_dir = os.path.join(work, "data")
    log_path = os.path.join(work, "serve.log")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KILN_")}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(log_path, "wb")
    proc = subprocess.Popen([KILN_BIN, "serve", "--port", str(port), "--data-dir", data_dir, "--log-format", "text",
                             # The UI is under test, not moderation: nsfwjs now and then holds a harmless
                             # kiln-shapes image (test_moderation.py covers that path).
                             "--compute-threads", "2", "--no-moderation"],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"kiln serve exited with {proc.returncode}:\n{tail(log_path)}")
            try:
                if http_get(base + "/readyz", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"kiln serve: /readyz not 200 within 60 s:\n{tail(log_path)}")
            time.sleep(0.2)
        keys = subprocess.run([KILN_BIN, "keys", "create", "--tenant", "browser", "--data-dir", data_dir],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=30)
        assert keys.returncode == 0, f"kiln keys create failed: {keys.stderr}"
        key = keys.stdout.strip()
        assert key, "kiln keys create printed no key"
        yield {"base": base, "key": key, "log": log_path}
    finally:
        stop(proc, "kiln serve")
        log.close()
        if os.environ.get("KEEP_WORK"):
            print(f"server files kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("chromium not installed (apt-get install chromium)")
    profile = tempfile.mkdtemp(prefix="kiln-chromium-")
    log_path = os.path.join(profile, "chromium.log")
    log = open(log_path, "wb")
    port = free_port()
    proc = subprocess.Popen([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                             "--no-default-browser-check", "--disable-extensions", "--window-size=1100,900",
                             f"--user-data-dir={profile}", f"--remote-debugging-port={port}", "about:blank"],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    cdp = None
    try:
        deadline = time.monotonic() + 30
        ws_url = None
        while ws_url is None:
            if proc.poll() is not None:
                pytest.fail(f"chromium exited with {proc.returncode}:\n{tail(log_path)}")
            try:
                status, body = http_get(f"http://127.0.0.1:{port}/json", timeout=2)
                if status == 200:
                    pages = [t for t in json.loads(body) if t.get("type") == "page"]
                    if pages:
                        ws_url = pages[0]["webSocketDebuggerUrl"]
            except (OSError, ValueError):
                pass
            if ws_url is None:
                if time.monotonic() > deadline:
                    pytest.fail(f"chromium: no page target on port {port} within 30 s:\n{tail(log_path)}")
                time.sleep(0.2)
        cdp = Cdp(ws_url)
        cdp.call("Page.enable")
        yield cdp
    finally:
        if cdp is not None:
            cdp.close()
        if proc.poll() is None:  # its own session: the renderer and GPU helpers go too
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=10)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=10)
        log.close()
        shutil.rmtree(profile, ignore_errors=True)


def open_playground(cdp, base):
    cdp.eval("window.__stale = true")  # gone once the new page is in
    cdp.call("Page.navigate", url=base + "/")
    cdp.wait_for("!window.__stale && location.href.startsWith(%s) && document.readyState === 'complete' && "
                 "document.body.dataset.ready === '1'" % json.dumps(base), 30, "the playground to load")
    # Every status line the page shows, to report what the event stream delivered.
    cdp.eval("window.__statuses = []; new MutationObserver(() => window.__statuses.push("
             "document.getElementById('status').textContent)).observe(document.getElementById('status'),"
             " {childList: true, characterData: true, subtree: true}); true")


def fill(cdp, **fields):
    """Sets form fields by id (and fires input/change like a person would)."""
    for field, value in fields.items():
        cdp.eval("(() => { const e = document.getElementById(%s); e.value = %s;"
                 " e.dispatchEvent(new Event('input', {bubbles: true}));"
                 " e.dispatchEvent(new Event('change', {bubbles: true})); return e.value; })()"
                 % (json.dumps(field), json.dumps(str(value))))


# ---- tests -------------------------------------------------------------------

def test_generate_shows_the_image(server, browser):
    cdp = browser
    open_playground(cdp, server["base"])
    assert cdp.eval("document.getElementById('width').options.length") == 13  # 64..256 step 16
    assert cdp.eval("document.getElementById('format').value") == "png"
    fill(cdp, key=server["key"], prompt=PROMPT, width=WIDTH, height=HEIGHT, steps=20, seed=7)
    assert cdp.eval("document.getElementById('width').value") == str(WIDTH)
    cdp.eval("document.getElementById('generate').click(); true")

    size = cdp.wait_for(
        "(() => { const o = document.getElementById('outcome');"
        " if (o.textContent && o.classList.contains('bad')) throw new Error('outcome: ' + o.textContent);"
        " const i = document.getElementById('result');"
        " return i.naturalWidth > 0 ? [i.naturalWidth, i.naturalHeight, i.src] : null; })()",
        120, "the generated image")
    assert size[0] == WIDTH, f"image is {size[0]}x{size[1]}, asked for {WIDTH}x{HEIGHT}"
    assert size[1] == HEIGHT
    assert "/v1/results/" in size[2] and "/sample.png?" in size[2], size[2]
    # The key was remembered; the result went into the history.
    assert cdp.eval("localStorage.getItem('kiln.apiKey')") == server["key"]
    cdp.wait_for("document.querySelectorAll('#history figure').length >= 1", 10, "the history entry")
    assert cdp.eval("document.getElementById('status').textContent") == "Done."
    assert cdp.eval("document.getElementById('generate').disabled") is False
    statuses = cdp.eval("window.__statuses")
    print("status lines shown:", statuses)

    time.sleep(0.3)  # let the history thumbnail paint
    shot = cdp.call("Page.captureScreenshot", format="png")
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, "playground.png")
    with open(path, "wb") as f:
        f.write(base64.b64decode(shot["data"]))
    print("screenshot:", path)


@pytest.mark.parametrize("key, fields, expected", [
    ("not-a-real-key", {}, ["403"]),
    (None, {"steps": 0}, ["422", "steps"]),
])
def test_errors_are_shown(server, browser, key, fields, expected):
    cdp = browser
    open_playground(cdp, server["base"])
    fill(cdp, key=server["key"] if key is None else key, **fields)
    cdp.eval("document.getElementById('result').removeAttribute('src'); document.getElementById('generate').click(); true")
    text = cdp.wait_for("document.getElementById('outcome').textContent", 30, "an error in #outcome")
    for want in expected:
        assert want in text, f"#outcome says {text!r}; expected it to mention {want!r}"
    assert cdp.eval("document.getElementById('outcome').classList.contains('bad')")
    assert cdp.eval("document.getElementById('result').naturalWidth") == 0
    assert cdp.eval("document.getElementById('generate').disabled") is False


def test_static_files_are_served(server):
    """The embedded web/ files: the page, its script and style, and the OpenAPI document."""
    base = server["base"]
    for path, kind in [("/", "text/html"), ("/index.html", "text/html"), ("/playground.js", "text/javascript"),
                       ("/playground.css", "text/css"), ("/openapi.json", "application/json")]:
        with urllib.request.urlopen(base + path, timeout=5) as r:
            assert r.status == 200, path
            assert r.headers["Content-Type"].startswith(kind), (path, r.headers["Content-Type"])
    status, body = http_get(base + "/openapi.json")
    doc = json.loads(body)
    assert doc["openapi"].startswith("3.1")
    for route in ["/v1/{model}", "/v1/get_result", "/v1/tasks/{id}", "/v1/tasks/{id}/events",
                  "/v1/results/{id}/sample.{ext}", "/v1/models", "/metrics", "/healthz", "/readyz"]:
        assert route in doc["paths"], route
    assert doc["components"]["securitySchemes"]["xKey"] == {
        **doc["components"]["securitySchemes"]["xKey"], "type": "apiKey", "in": "header", "name": "x-key"}
