"""Error answers: authentication, validation (422 naming the field), unknown tasks,
signed result URLs and tenant isolation (docs/API.md)."""

import os
import time
from urllib.parse import parse_qs, urlencode, urlparse, urlunparse

import pytest
import requests

from kiln_server_it import FAST, get_result, submit, submit_ok, wait_idle, wait_ready

URL_TTL_SECONDS = 3  # short, so that the expiry test waits only a few seconds


@pytest.fixture(scope="module")
def server(kiln_server_factory, tmp_path_factory):
    config = tmp_path_factory.mktemp("errors-config") / "kiln.toml"
    config.write_text("[results]\nurl_ttl_seconds = %d\n" % URL_TTL_SECONDS)
    srv = kiln_server_factory(args=["--config", str(config)], name="errors")
    srv.key_a = srv.create_key("tenant-a")
    srv.key_b = srv.create_key("tenant-b")
    srv.start()
    return srv


def assert_detail(r, code):
    assert r.status_code == code, (r.status_code, r.text)
    assert r.headers["Content-Type"].startswith("application/json"), r.headers
    body = r.json()
    assert "detail" in body, body
    return body["detail"]


# ---------------------------------------------------------------------------
# Authentication


def test_missing_key_is_401(server):
    detail = assert_detail(submit(server, None, dict(FAST, prompt="x")), 401)
    assert isinstance(detail, str) and detail
    r = requests.get(server.url + "/v1/get_result", params={"id": "x"}, timeout=30)
    assert_detail(r, 401)


def test_empty_key_is_401(server):
    assert_detail(submit(server, None, dict(FAST, prompt="x"), headers={"x-key": ""}), 401)


def test_unknown_key_is_403(server):
    detail = assert_detail(submit(server, "kiln_not-a-real-key", dict(FAST, prompt="x")), 403)
    assert isinstance(detail, str) and detail
    r = requests.get(server.url + "/v1/get_result", params={"id": "x"}, headers={"x-key": "wrong"}, timeout=30)
    assert_detail(r, 403)


def test_unknown_model_is_404(server):
    assert_detail(submit(server, server.key_a, dict(FAST, prompt="x"), model="no-such-model"), 404)


# ---------------------------------------------------------------------------
# Validation


BAD_FIELDS = [
    ("prompt-missing", {"width": 64, "height": 64}, "prompt"),
    ("prompt-not-string", {"prompt": 5}, "prompt"),
    ("prompt-too-long", {"prompt": "x" * 10001}, "prompt"),
    ("width-not-multiple-of-16", {"prompt": "x", "width": 100}, "width"),
    ("height-not-multiple-of-16", {"prompt": "x", "height": 72}, "height"),
    ("width-too-large", {"prompt": "x", "width": 512}, "width"),
    ("width-too-small", {"prompt": "x", "width": 32}, "width"),
    ("width-not-integer", {"prompt": "x", "width": "64"}, "width"),
    ("steps-0", {"prompt": "x", "steps": 0}, "steps"),
    ("steps-too-many", {"prompt": "x", "steps": 51}, "steps"),
    ("seed-negative", {"prompt": "x", "seed": -1}, "seed"),
    ("guidance-too-large", {"prompt": "x", "guidance": 101}, "guidance"),
    ("safety_tolerance-7", {"prompt": "x", "safety_tolerance": 7}, "safety_tolerance"),
    ("output_format-gif", {"prompt": "x", "output_format": "gif"}, "output_format"),
    ("webhook_url-ftp", {"prompt": "x", "webhook_url": "ftp://x"}, "webhook_url"),
    ("priority-10", {"prompt": "x", "priority": 10}, "priority"),
    ("aspect_ratio-bad", {"prompt": "x", "aspect_ratio": "wide"}, "aspect_ratio"),
    ("prompt_upsampling-not-bool", {"prompt": "x", "prompt_upsampling": "yes"}, "prompt_upsampling"),
]


@pytest.mark.parametrize("body,field", [pytest.param(b, f, id=name) for name, b, f in BAD_FIELDS])
def test_bad_field_is_422_naming_it(server, body, field):
    r = submit(server, server.key_a, body)
    detail = assert_detail(r, 422)
    assert isinstance(detail, list) and detail, detail
    locs = [tuple(d["loc"]) for d in detail]
    assert ("body", field) in locs, detail
    for d in detail:
        assert isinstance(d["msg"], str) and d["msg"], d
        assert isinstance(d["type"], str) and d["type"], d


def test_every_bad_field_is_named(server):
    r = submit(server, server.key_a, {"width": 100, "steps": 0, "output_format": "gif", "safety_tolerance": 7})
    detail = assert_detail(r, 422)
    fields = {tuple(d["loc"])[-1] for d in detail}
    assert {"prompt", "width", "steps", "output_format", "safety_tolerance"} <= fields, detail


@pytest.mark.parametrize("raw", [b"this is not json", b"{\"prompt\": ", b""], ids=["text", "truncated", "empty"])
def test_non_json_body_is_422(server, raw):
    r = requests.post(server.url + "/v1/kiln-shapes", data=raw,
                      headers={"x-key": server.key_a, "Content-Type": "application/json"}, timeout=30)
    detail = assert_detail(r, 422)
    assert detail and detail[0]["loc"][0] == "body", detail


@pytest.mark.parametrize("raw", [b"[{\"prompt\": \"x\"}]", b"\"prompt\"", b"42", b"null"],
                         ids=["array", "string", "number", "null"])
def test_json_that_is_not_an_object_is_422(server, raw):
    r = requests.post(server.url + "/v1/kiln-shapes", data=raw,
                      headers={"x-key": server.key_a, "Content-Type": "application/json"}, timeout=30)
    detail = assert_detail(r, 422)
    assert detail and detail[0]["loc"][0] == "body", detail


def test_get_result_without_id_is_422(server):
    r = requests.get(server.url + "/v1/get_result", headers={"x-key": server.key_a}, timeout=30)
    detail = assert_detail(r, 422)
    assert ["query", "id"] in [d["loc"] for d in detail], detail


# ---------------------------------------------------------------------------
# Unknown tasks


@pytest.mark.parametrize("job_id", ["00000000-0000-4000-8000-000000000000", "not-a-uuid", "x" * 300])
def test_get_result_unknown_id_is_task_not_found(server, job_id):
    r = requests.get(server.url + "/v1/get_result", params={"id": job_id}, headers={"x-key": server.key_a},
                     timeout=30)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "Task not found", body
    assert body["result"] is None


# ---------------------------------------------------------------------------
# Signed result URLs


@pytest.fixture(scope="module")
def ready_job(server):
    ack = submit_ok(server, server.key_a, dict(FAST, prompt="a signed circle", seed=9, output_format="png"))
    wait_ready(server, server.key_a, ack["id"])
    return ack["id"]


def fresh_sample_url(server, job_id):
    body = get_result(server, server.key_a, job_id)
    assert body["status"] == "Ready", body
    return body["result"]["sample"]


def with_query(url, **changes):
    parts = urlparse(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunparse(parts._replace(query=urlencode(query)))


def with_path(url, path):
    return urlunparse(urlparse(url)._replace(path=path))


def flip_hex(s):
    return s[:-1] + ("0" if s[-1] != "0" else "1")


def test_sample_url_works_unchanged(server, ready_job):
    r = requests.get(fresh_sample_url(server, ready_job), timeout=30)
    assert r.status_code == 200 and r.content[:4] == b"\x89PNG"


def test_tampered_signature_is_403(server, ready_job):
    url = fresh_sample_url(server, ready_job)
    sig = parse_qs(urlparse(url).query)["sig"][0]
    assert requests.get(with_query(url, sig=flip_hex(sig)), timeout=30).status_code == 403
    assert requests.get(with_query(url, sig=""), timeout=30).status_code == 403


def test_unsigned_url_is_403(server, ready_job):
    url = fresh_sample_url(server, ready_job)
    bare = urlunparse(urlparse(url)._replace(query=""))
    assert requests.get(bare, timeout=30).status_code == 403


def test_changed_expiry_is_403(server, ready_job):
    url = fresh_sample_url(server, ready_job)
    exp = int(parse_qs(urlparse(url).query)["exp"][0])
    assert requests.get(with_query(url, exp=str(exp + 3600)), timeout=30).status_code == 403


def test_changed_id_or_format_is_403(server, ready_job):
    url = fresh_sample_url(server, ready_job)
    path = urlparse(url).path
    assert path.endswith("/sample.png"), url
    assert requests.get(with_path(url, path[:-4] + ".jpg"), timeout=30).status_code == 403
    other = ready_job[:-1] + ("0" if ready_job[-1] != "0" else "1")
    assert requests.get(with_path(url, path.replace(ready_job, other)), timeout=30).status_code == 403


def test_expired_url_is_410(server, ready_job):
    url = fresh_sample_url(server, ready_job)
    exp = int(parse_qs(urlparse(url).query)["exp"][0])
    assert exp <= time.time() + URL_TTL_SECONDS + 5, "the config's url_ttl_seconds was not applied: %s" % url
    # Bounded: the TTL is a few seconds.
    time.sleep(max(0.0, exp - time.time()) + 1.5)
    r = requests.get(url, timeout=30)
    assert r.status_code == 410, "an expired URL should be 410 (docs/API.md): %d %s" % (r.status_code, r.text)


# ---------------------------------------------------------------------------
# Tenant isolation


def test_other_tenant_cannot_see_or_touch_a_job(server):
    blocker = submit_ok(server, server.key_a, {"prompt": "blocker", "width": 128, "height": 128, "steps": 20})
    ack = submit_ok(server, server.key_a, dict(FAST, prompt="tenant a's secret"))
    job_id = ack["id"]
    hdr_b = {"x-key": server.key_b}

    body = get_result(server, server.key_b, job_id)
    assert body["status"] == "Task not found", body
    assert body["result"] is None

    r = requests.get(server.url + "/v1/tasks/" + job_id, headers=hdr_b, timeout=30)
    assert r.status_code == 200, r.text  # the same body as get_result
    assert r.json()["status"] == "Task not found", r.text

    r = requests.get(server.url + "/v1/tasks/" + job_id + "/events", headers=hdr_b, timeout=30)
    assert r.status_code == 404, r.text
    assert "Task not found" in r.text

    r = requests.delete(server.url + "/v1/tasks/" + job_id, headers=hdr_b, timeout=30)
    assert r.status_code == 404, r.text
    assert "Task not found" in r.text

    # Tenant A still sees its job, untouched by B's cancel.
    body = wait_ready(server, server.key_a, job_id)
    assert body["result"]["prompt"] == "tenant a's secret"
    assert get_result(server, server.key_b, job_id)["status"] == "Task not found"
    r = requests.delete(server.url + "/v1/tasks/" + job_id, headers=hdr_b, timeout=30)
    assert r.status_code == 404, r.text  # not 409: B must not learn the job exists
    wait_idle(server, server.key_a, [blocker["id"]])


def test_idempotency_keys_are_per_tenant(server):
    key = "idem-" + os.urandom(6).hex()
    a = submit_ok(server, server.key_a, dict(FAST, prompt="a"), headers={"Idempotency-Key": key})
    b = submit_ok(server, server.key_b, dict(FAST, prompt="b"), headers={"Idempotency-Key": key})
    assert a["id"] != b["id"]
    assert wait_ready(server, server.key_b, b["id"])["result"]["prompt"] == "b"
    assert wait_ready(server, server.key_a, a["id"])["result"]["prompt"] == "a"
