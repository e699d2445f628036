"""The BFL client flow against the real server: submit, poll, download (docs/API.md)."""

import io
import time
from urllib.parse import urlparse

import pytest
import requests
from PIL import Image

from kiln_server_it import (ALLOWED_STATUSES, FAST, PENDING_STATES, submit, submit_ok, wait_idle,
                            wait_ready)


@pytest.fixture(scope="module")
def server(kiln_server_factory):
    srv = kiln_server_factory(name="bfl")
    srv.key = srv.create_key("bfl-tenant")
    srv.start()
    return srv


def download(url):
    r = requests.get(url, timeout=30)
    assert r.status_code == 200, "GET %s -> %d %s" % (url, r.status_code, r.text[:200])
    return r


def test_submit_answers_id_absolute_polling_url_and_cost(server):
    r = submit(server, server.key, dict(FAST, prompt="a red circle", seed=1))
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    ack = r.json()
    assert isinstance(ack["id"], str) and len(ack["id"]) >= 16
    polling = urlparse(ack["polling_url"])
    assert polling.scheme == "http" and polling.netloc == "127.0.0.1:%d" % server.port, ack
    assert polling.path == "/v1/get_result" and ("id=" + ack["id"]) in polling.query, ack
    assert isinstance(ack["cost"], (int, float)) and ack["cost"] >= 0, ack
    assert ack.get("input_mp") == 0, ack
    assert ack.get("output_mp") == pytest.approx(64 * 64 / 1e6, rel=1e-6), ack
    wait_ready(server, server.key, ack["id"])


def test_poll_polling_url_until_ready_status_always_allowed(server):
    ack = submit_ok(server, server.key, {"prompt": "a blue square on the left", "width": 64, "height": 64,
                                         "steps": 4, "seed": 2})
    seen = []
    deadline = time.monotonic() + 90
    body = None
    while time.monotonic() < deadline:
        # The polling URL exactly as given (BFL clients follow it verbatim).
        r = requests.get(ack["polling_url"], headers={"x-key": server.key}, timeout=30)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["id"] == ack["id"]
        assert body["status"] in ALLOWED_STATUSES, body
        seen.append(body["status"])
        if body["status"] == "Pending":
            assert body["result"] is None, body
            assert body["details"]["state"] in PENDING_STATES, body
            if body["details"]["state"] == "queued":
                assert isinstance(body["details"]["queue_position"], int), body
            if body["progress"] is not None:
                assert 0.0 <= body["progress"] <= 1.0, body
        if body["status"] != "Pending":
            break
        time.sleep(0.02)
    assert body is not None and body["status"] == "Ready", (seen[-5:], body)
    assert set(seen) <= {"Pending", "Ready"}, seen
    result = body["result"]
    assert result["prompt"] == "a blue square on the left"
    assert result["seed"] == 2
    assert result["end_time"] >= result["start_time"] > 0
    assert result["duration"] >= 0
    assert body["progress"] == 1.0


def test_tasks_route_answers_the_get_result_body(server):
    ack = submit_ok(server, server.key, dict(FAST, prompt="rest style", seed=8))
    body = wait_ready(server, server.key, ack["id"])
    r = requests.get(server.url + "/v1/tasks/" + ack["id"], headers={"x-key": server.key}, timeout=30)
    assert r.status_code == 200, r.text
    rest = r.json()
    for field in ("id", "status", "progress", "details"):
        assert rest[field] == body[field], (field, rest, body)
    for field in ("prompt", "seed", "start_time", "end_time"):
        assert rest["result"][field] == body["result"][field], (field, rest, body)
    assert urlparse(rest["result"]["sample"]).path == urlparse(body["result"]["sample"]).path


def test_get_result_is_200_pending_while_running(server):
    # A job slow enough to catch while pending (queued or running).
    ack = submit_ok(server, server.key, {"prompt": "two triangles", "width": 128, "height": 128, "steps": 30})
    r = requests.get(server.url + "/v1/get_result", params={"id": ack["id"]}, headers={"x-key": server.key},
                     timeout=30)
    assert r.status_code == 200, (r.status_code, r.text)  # never 202
    body = r.json()
    assert body["status"] == "Pending", body
    assert body["details"]["state"] in PENDING_STATES, body
    # Polled to the end: every answer 200, never 202.
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        r = requests.get(server.url + "/v1/get_result", params={"id": ack["id"]}, headers={"x-key": server.key},
                         timeout=30)
        assert r.status_code == 200, (r.status_code, r.text)
        if r.json()["status"] != "Pending":
            break
        time.sleep(0.05)
    assert r.json()["status"] == "Ready", r.text


@pytest.mark.parametrize("output_format,ext,pil_format,mime", [
    ("png", ".png", "PNG", "image/png"),
    ("jpeg", ".jpg", "JPEG", "image/jpeg"),
    ("webp", ".webp", "WEBP", "image/webp"),
])
def test_sample_url_extension_and_image(server, output_format, ext, pil_format, mime):
    width, height = 96, 64  # not square: catches swapped dimensions
    ack = submit_ok(server, server.key, {"prompt": "a green circle at the top", "width": width, "height": height,
                                         "steps": 2, "seed": 3, "output_format": output_format})
    body = wait_ready(server, server.key, ack["id"])
    sample = body["result"]["sample"]
    parsed = urlparse(sample)
    assert parsed.scheme == "http" and parsed.netloc == "127.0.0.1:%d" % server.port, sample
    assert parsed.path.endswith(ext), sample
    assert ack["id"] in parsed.path, sample
    r = download(sample)  # no key needed: the URL is signed
    assert r.headers["Content-Type"].startswith(mime), r.headers
    image = Image.open(io.BytesIO(r.content))
    assert image.format == pil_format
    assert image.size == (width, height)
    image.load()  # the whole file decodes
    assert image.convert("RGB").size == (width, height)


def test_default_output_format_is_jpeg(server):
    ack = submit_ok(server, server.key, dict(FAST, prompt="a circle"))
    body = wait_ready(server, server.key, ack["id"])
    assert urlparse(body["result"]["sample"]).path.endswith(".jpg"), body
    image = Image.open(io.BytesIO(download(body["result"]["sample"]).content))
    assert image.format == "JPEG"


def test_accept_text_html_still_gets_json(server):
    ack = submit_ok(server, server.key, dict(FAST, prompt="a square"))
    r = requests.get(server.url + "/v1/get_result", params={"id": ack["id"]},
                     headers={"x-key": server.key, "Accept": "text/html"}, timeout=30)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json"), r.headers
    assert r.json()["id"] == ack["id"]
    # Also for a missing task and on submit.
    r = requests.get(server.url + "/v1/get_result", params={"id": "nope"},
                     headers={"x-key": server.key, "Accept": "text/html"}, timeout=30)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    assert r.json()["status"] == "Task not found"
    r = submit(server, server.key, dict(FAST, prompt="x"), headers={"Accept": "text/html"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    wait_idle(server, server.key, [ack["id"], r.json()["id"]])


@pytest.mark.parametrize("header_name", ["X-KEY", "X-Key", "x-KeY"])
def test_key_header_name_is_case_insensitive(server, header_name):
    r = requests.post(server.url + "/v1/kiln-shapes", json=dict(FAST, prompt="case"),
                      headers={header_name: server.key}, timeout=30)
    assert r.status_code == 200, r.text
    job_id = r.json()["id"]
    r = requests.get(server.url + "/v1/get_result", params={"id": job_id}, headers={header_name: server.key},
                     timeout=30)
    assert r.status_code == 200 and r.json()["status"] in ALLOWED_STATUSES - {"Task not found"}, r.text
    wait_ready(server, server.key, job_id)


def test_unknown_body_fields_are_ignored(server):
    body = dict(FAST, prompt="unknown fields", foo=1, bar={"nested": [1, 2, {"x": None}]}, raw=True,
                input_image=None, interval=2)
    ack = submit_ok(server, server.key, body)
    assert wait_ready(server, server.key, ack["id"])["result"]["prompt"] == "unknown fields"


def test_null_fields_mean_not_given(server):
    body = {"prompt": "nulls", "width": None, "height": None, "steps": 2, "seed": None, "guidance": None,
            "safety_tolerance": None, "output_format": None, "webhook_url": None, "webhook_secret": None,
            "prompt_upsampling": None, "priority": None, "deadline_seconds": None, "aspect_ratio": None}
    ack = submit_ok(server, server.key, body)
    result = wait_ready(server, server.key, ack["id"])["result"]
    assert isinstance(result["seed"], int) and result["seed"] >= 0  # a random seed was chosen
    sample = result["sample"]
    assert urlparse(sample).path.endswith(".jpg"), sample  # default format
    image = Image.open(io.BytesIO(download(sample).content))
    # The model's default size, as GET /v1/models advertises it. (docs/API.md says 128 for
    # kiln-shapes; its manifest, models/kiln-shapes/kiln.json, says 64: the model was trained at 64.)
    models = requests.get(server.url + "/v1/models", timeout=30).json()["data"]
    shapes = [m for m in models if m["id"] == "kiln-shapes"][0]
    assert image.size == (shapes["default_width"], shapes["default_height"])


def test_prompt_upsampling_accepted(server):
    ack = submit_ok(server, server.key, dict(FAST, prompt="upsample me", prompt_upsampling=True))
    assert wait_ready(server, server.key, ack["id"])["result"]["prompt"] == "upsample me"


@pytest.mark.parametrize("alias", ["flux-dev", "flux-pro-1.1"])
def test_bfl_model_aliases(server, alias):
    ack = submit_ok(server, server.key, dict(FAST, prompt="alias " + alias, output_format="png"), model=alias)
    body = wait_ready(server, server.key, ack["id"])
    image = Image.open(io.BytesIO(download(body["result"]["sample"]).content))
    assert image.size == (64, 64)


def test_same_seed_gives_identical_png_bytes(server):
    body = {"prompt": "a yellow triangle at the bottom right", "width": 64, "height": 64, "steps": 3,
            "seed": 123456789, "output_format": "png"}
    images = []
    for _ in range(2):  # one after the other: two separate jobs
        ack = submit_ok(server, server.key, body)
        result = wait_ready(server, server.key, ack["id"])["result"]
        assert result["seed"] == 123456789
        images.append(download(result["sample"]).content)
    assert images[0][:8] == b"\x89PNG\r\n\x1a\n"
    assert images[0] == images[1]


def test_aspect_ratio(server):
    ack = submit_ok(server, server.key, {"prompt": "wide", "aspect_ratio": "2:1", "steps": 2, "output_format": "png"})
    body = wait_ready(server, server.key, ack["id"])
    w, h = Image.open(io.BytesIO(download(body["result"]["sample"]).content)).size
    assert w % 16 == 0 and h % 16 == 0 and w > h, (w, h)


def test_tight_polling_loop_is_served(server):
    ack = submit_ok(server, server.key, {"prompt": "busy polling", "width": 128, "height": 128, "steps": 10})
    statuses = {}
    with requests.Session() as session:
        session.headers["x-key"] = server.key
        url = server.url + "/v1/get_result?id=" + ack["id"]
        start = time.monotonic()
        for _ in range(2000):
            r = session.get(url, timeout=30)
            assert r.status_code == 200, (r.status_code, r.text)
            status = r.json()["status"]
            assert status in {"Pending", "Ready"}, r.text
            statuses[status] = statuses.get(status, 0) + 1
            assert time.monotonic() - start < 240, "2000 polls took over 4 minutes"
    assert sum(statuses.values()) == 2000
    # The server is still healthy and the job finishes.
    assert requests.get(server.url + "/healthz", timeout=10).status_code == 200
    wait_ready(server, server.key, ack["id"])


def test_models_route_needs_no_key(server):
    r = requests.get(server.url + "/v1/models", timeout=30)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    shapes = [m for m in data if m["id"] == "kiln-shapes"]
    assert shapes, data
    assert "flux-dev" in shapes[0]["aliases"]
