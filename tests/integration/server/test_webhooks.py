"""Webhooks: delivery, body, HMAC signature, trace propagation, and the SSRF
guard that refuses loopback targets unless allowed (docs/API.md)."""

import hmac
import json
import uuid
from urllib.parse import urlparse

import pytest
import requests

from kiln_server_it import FAST, get_metrics, hmac_sha256_hex, metric_value, new_traceparent, submit_ok, wait_ready


@pytest.fixture(scope="module")
def server(kiln_server_factory):
    srv = kiln_server_factory(args=["--allow-private-webhooks"], name="webhooks")
    srv.key = srv.create_key("hooks")
    srv.start()
    return srv


@pytest.fixture(scope="module")
def guarded_server(kiln_server_factory):
    srv = kiln_server_factory(name="webhooks-guarded")  # default: private targets refused
    srv.key = srv.create_key("hooks")
    srv.start()
    return srv


def unique_path():
    return "/hook/" + uuid.uuid4().hex


def test_webhook_delivered_signed_with_trace(server, webhook_receiver):
    path = unique_path()
    secret = "s3cret-" + uuid.uuid4().hex
    trace_id, traceparent = new_traceparent()
    ack = submit_ok(server, server.key,
                    dict(FAST, prompt="a webhook circle", seed=77, webhook_url=webhook_receiver.url(path),
                         webhook_secret=secret),
                    headers={"traceparent": traceparent})
    final = wait_ready(server, server.key, ack["id"])

    got = webhook_receiver.wait_for(path, timeout=30)
    assert got, "no webhook arrived within 30 s"
    assert len(got) == 1, "delivered %d times (a 200 answer must end the retries)" % len(got)
    _, headers, raw = got[0]

    body = json.loads(raw)
    assert body["id"] == ack["id"]
    assert body["status"] == "Ready"
    assert set(body["result"]) >= {"sample", "prompt", "seed"}, body
    assert body["result"]["prompt"] == "a webhook circle"
    assert body["result"]["seed"] == 77
    assert isinstance(body["timestamp"], (int, float)) and body["timestamp"] > 1.6e9, body
    assert urlparse(body["result"]["sample"]).path == urlparse(final["result"]["sample"]).path
    assert headers.get("content-type", "").startswith("application/json"), headers

    # The signature covers the exact bytes sent.
    expected = "sha256=" + hmac_sha256_hex(secret, raw)
    assert "x-bfl-signature" in headers, headers
    assert hmac.compare_digest(headers["x-bfl-signature"], expected), (headers["x-bfl-signature"], expected)
    assert headers.get("x-webhook-secret") == secret, headers

    # The trace continues: same trace id, a span of Kiln's own.
    assert "traceparent" in headers, headers
    parts = headers["traceparent"].split("-")
    assert len(parts) == 4 and parts[0] == "00", headers["traceparent"]
    assert parts[1] == trace_id, (headers["traceparent"], traceparent)
    assert len(parts[2]) == 16

    # The sample URL in the webhook downloads the image.
    r = requests.get(body["result"]["sample"], timeout=30)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("image/jpeg"), r.headers


def test_webhook_without_secret_is_unsigned(server, webhook_receiver):
    path = unique_path()
    ack = submit_ok(server, server.key, dict(FAST, prompt="unsigned", webhook_url=webhook_receiver.url(path)))
    wait_ready(server, server.key, ack["id"])
    got = webhook_receiver.wait_for(path, timeout=30)
    assert got, "no webhook arrived within 30 s"
    _, headers, raw = got[0]
    assert json.loads(raw)["id"] == ack["id"]
    assert "x-bfl-signature" not in headers and "x-webhook-secret" not in headers, headers


def test_webhook_delivery_is_counted(server, webhook_receiver):
    path = unique_path()
    ack = submit_ok(server, server.key, dict(FAST, prompt="counted", webhook_url=webhook_receiver.url(path)))
    wait_ready(server, server.key, ack["id"])
    assert webhook_receiver.wait_for(path, timeout=30)
    _, samples = get_metrics(server)
    assert metric_value(samples, "kiln_webhook_attempts_total", result="ok") >= 1


def test_webhook_retried_after_non_2xx(server, webhook_receiver):
    path = unique_path()
    webhook_receiver.fail_first[path] = 2  # two 500s, then 200
    secret = "retry-secret"
    ack = submit_ok(server, server.key, dict(FAST, prompt="retried", webhook_url=webhook_receiver.url(path),
                                             webhook_secret=secret))
    wait_ready(server, server.key, ack["id"])
    got = webhook_receiver.wait_for(path, timeout=60, count=3)
    assert len(got) == 3, "want 2 failed attempts and 1 success, got %d requests" % len(got)
    bodies = {raw for _, _, raw in got}
    assert len(bodies) == 1, "every attempt sends the same body"
    for _, headers, raw in got:
        assert headers.get("x-bfl-signature") == "sha256=" + hmac_sha256_hex(secret, raw), headers
    # No more attempts after the success.
    assert len(webhook_receiver.wait_for(path, timeout=2, count=4)) == 3
    _, samples = get_metrics(server)
    assert metric_value(samples, "kiln_webhook_attempts_total", result="failed") >= 2


def test_private_webhook_refused_without_the_flag(guarded_server, webhook_receiver):
    srv = guarded_server
    path = unique_path()
    ack = submit_ok(srv, srv.key, dict(FAST, prompt="guarded", webhook_url=webhook_receiver.url(path),
                                       webhook_secret="x"))
    final = wait_ready(srv, srv.key, ack["id"])  # the job itself is unaffected
    assert final["result"]["prompt"] == "guarded"
    got = webhook_receiver.wait_for(path, timeout=4)
    assert got == [], "a loopback webhook was delivered although private webhooks are not allowed"
