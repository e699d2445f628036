"""Observability: Prometheus metrics, health routes, the OpenAPI document, and
JSON request logs carrying request and trace ids (docs/API.md)."""

import json
import time

import pytest
import requests

from kiln_server_it import FAST, get_metrics, metric_value, new_traceparent, submit_ok, wait_ready


@pytest.fixture(scope="module")
def server(kiln_server_factory):
    srv = kiln_server_factory(log_format="json", name="observability")
    srv.key = srv.create_key("observer")
    srv.start()
    # Some traffic, so that every metric family has samples.
    ack = submit_ok(srv, srv.key, dict(FAST, prompt="observed", output_format="png"))
    wait_ready(srv, srv.key, ack["id"])
    srv.job_id = ack["id"]
    return srv


def families(text):
    """{name: type} from the # TYPE lines."""
    out = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(None, 3)
            out[name] = kind.strip()
    return out


def test_metrics_http_requests(server):
    requests.get(server.url + "/v1/get_result", params={"id": server.job_id}, headers={"x-key": server.key},
                 timeout=30)
    text, samples = get_metrics(server)
    kinds = families(text)
    assert kinds.get("kiln_http_requests_total") == "counter", kinds
    http = [(l, v) for n, l, v in samples if n == "kiln_http_requests_total"]
    assert http, text[:2000]
    assert all("route" in l and "code" in l for l, _ in http), http
    assert metric_value(samples, "kiln_http_requests_total", route="/v1/get_result", code="200") >= 1, http
    assert metric_value(samples, "kiln_http_requests_total", route="/v1/{model}", code="200") >= 1, http
    # Routes are templates, never raw ids (bounded label values).
    assert not any(server.job_id in l["route"] for l, _ in http), http

    assert kinds.get("kiln_http_request_duration_seconds") == "histogram", kinds
    names = {n for n, _, _ in samples}
    for suffix in ("_bucket", "_sum", "_count"):
        assert "kiln_http_request_duration_seconds" + suffix in names, sorted(names)
    buckets = [l for n, l, _ in samples if n == "kiln_http_request_duration_seconds_bucket"]
    assert any(l.get("le") == "+Inf" for l in buckets), buckets


def test_metrics_queue_jobs_and_workers(server):
    text, samples = get_metrics(server)
    kinds = families(text)
    names = {n for n, _, _ in samples}
    assert kinds.get("kiln_queue_depth") == "gauge", kinds
    assert "kiln_queue_depth" in names
    assert kinds.get("kiln_queue_time_seconds") == "histogram", kinds
    assert metric_value(samples, "kiln_queue_time_seconds_count") >= 1
    assert kinds.get("kiln_job_stage_seconds") == "histogram", kinds
    stages = {l.get("stage") for n, l, _ in samples if n == "kiln_job_stage_seconds_count"}
    assert {"text_encode", "denoise", "decode", "encode_image"} <= stages, stages
    for stage in ("text_encode", "denoise", "decode", "encode_image"):
        assert metric_value(samples, "kiln_job_stage_seconds_count", stage=stage) >= 1, stage
    assert kinds.get("kiln_batch_size") == "histogram", kinds
    assert metric_value(samples, "kiln_batch_size_count") >= 1
    assert kinds.get("kiln_worker_busy_seconds_total") == "counter", kinds
    assert metric_value(samples, "kiln_worker_busy_seconds_total") > 0
    assert metric_value(samples, "kiln_jobs_finished_total", state="ready") >= 1


def test_healthz_and_readyz(server):
    r = requests.get(server.url + "/healthz", timeout=10)
    assert r.status_code == 200, r.text
    r = requests.get(server.url + "/readyz", timeout=10)
    assert r.status_code == 200, r.text


def test_openapi_json(server):
    r = requests.get(server.url + "/openapi.json", timeout=10)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert "paths" in doc, list(doc)
    assert "/v1/get_result" in doc["paths"], sorted(doc["paths"])


def test_playground_is_served(server):
    r = requests.get(server.url + "/", timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html"), r.headers


def read_log_lines(server, want, timeout=10.0):
    """The JSON log lines for which want(line) holds, waiting (bounded) until at least one shows up."""
    deadline = time.monotonic() + timeout
    while True:
        found = []
        for raw in server.log_text().splitlines():
            raw = raw.strip()
            if not raw.startswith("{"):
                continue
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if want(line):
                found.append(line)
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_request_log_json_with_request_and_trace_ids(server):
    trace_id, traceparent = new_traceparent()
    r = requests.get(server.url + "/v1/get_result", params={"id": server.job_id},
                     headers={"x-key": server.key, "traceparent": traceparent}, timeout=30)
    assert r.status_code == 200
    request_id = r.headers.get("x-request-id")
    assert request_id, r.headers

    lines = read_log_lines(server, lambda l: l.get("request_id") == request_id)
    assert len(lines) == 1, "want one log line for request %s, got %s" % (request_id, lines)
    line = lines[0]
    assert line["trace_id"] == trace_id, line
    assert line.get("status") == 200, line
    assert line.get("path") == "/v1/get_result", line
    assert line.get("method") == "GET", line


def test_each_request_logs_one_line_with_its_own_ids(server):
    ids = []
    for path in ("/healthz", "/v1/models", "/metrics", "/does-not-exist"):
        r = requests.get(server.url + path, timeout=30)
        assert r.headers.get("x-request-id"), (path, r.headers)
        ids.append((path, r.headers["x-request-id"]))
    assert len({rid for _, rid in ids}) == len(ids), ids  # distinct per request
    for path, request_id in ids:
        lines = read_log_lines(server, lambda l, rid=request_id: l.get("request_id") == rid)
        assert len(lines) == 1, (path, request_id, lines)
        line = lines[0]
        assert line.get("path") == path, line
        # Without a traceparent the server starts a trace of its own.
        assert isinstance(line.get("trace_id"), str) and len(line["trace_id"]) == 32, line
        int(line["trace_id"], 16)


def test_request_log_lines_are_json(server):
    # Once the server is up every log line on stderr is a JSON object (the
    # human-readable startup banner aside).
    lines = [l for l in server.log_text().splitlines() if l.strip()]
    json_lines = []
    for raw in lines:
        if raw.startswith("{"):
            parsed = json.loads(raw)  # a line that looks like JSON must be valid JSON
            assert isinstance(parsed, dict)
            json_lines.append(parsed)
    http_lines = [l for l in json_lines if l.get("event") == "http_request"]
    assert http_lines, lines[-20:]
    for l in http_lines:
        assert "request_id" in l and "trace_id" in l, l
