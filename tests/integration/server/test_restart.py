"""Durability: every acknowledged job survives `kill -9` and finishes exactly once
after a restart on the same data directory (docs/API.md: the answer comes only
after the job is committed)."""

import time

import pytest
import requests

from kiln_server_it import get_metrics, get_result, metric_value, submit_ok, wait_terminal

JOBS = 8


@pytest.fixture(scope="module")
def server(kiln_server_factory):
    srv = kiln_server_factory(args=["--workers", "1"], name="restart")
    srv.key = srv.create_key("durable")
    return srv


def test_acknowledged_jobs_survive_kill_9(server):
    server.start()
    acks = []
    for i in range(JOBS):
        acks.append(submit_ok(server, server.key, {"prompt": "durable job %d" % i, "width": 128, "height": 128,
                                                   "steps": 20, "seed": 1000 + i, "output_format": "png"}))
    server.kill9()  # right after the last acknowledgement
    killed_at = time.time()

    # Restart on the same data directory and port (polling URLs stay valid).
    server.start()

    ids = [a["id"] for a in acks]
    assert len(set(ids)) == JOBS
    for job_id in ids:
        body = get_result(server, server.key, job_id)
        assert body["status"] != "Task not found", "acknowledged job %s lost after kill -9" % job_id

    finals = {job_id: wait_terminal(server, server.key, job_id, timeout=120) for job_id in ids}
    errors = {job_id: b for job_id, b in finals.items() if b["status"] != "Ready"}
    assert not errors, errors
    for i, job_id in enumerate(ids):
        result = finals[job_id]["result"]
        assert result["prompt"] == "durable job %d" % i
        assert result["seed"] == 1000 + i
        r = requests.get(result["sample"], timeout=30)
        assert r.status_code == 200 and r.content[:4] == b"\x89PNG", (r.status_code, r.content[:20])

    # Each job ran to completion once: the restarted server finished exactly the
    # jobs that had not finished before the kill (end_time after it), and none failed.
    finished_after_restart = sum(1 for b in finals.values() if b["result"]["end_time"] > killed_at)
    _, samples = get_metrics(server)
    assert metric_value(samples, "kiln_jobs_finished_total", state="ready") == finished_after_restart, (
        finished_after_restart, [(n, l, v) for n, l, v in samples if n == "kiln_jobs_finished_total"])
    assert metric_value(samples, "kiln_jobs_finished_total", state="error") == 0
    assert metric_value(samples, "kiln_jobs_finished_total", state="cancelled") == 0

    # Stable: polling again shows the same results (finished once, never re-run).
    time.sleep(1.0)
    for job_id in ids:
        again = get_result(server, server.key, job_id)
        assert again["status"] == "Ready"
        assert again["result"]["end_time"] == finals[job_id]["result"]["end_time"]
    _, samples_later = get_metrics(server)
    assert metric_value(samples_later, "kiln_jobs_finished_total", state="ready") == finished_after_restart


def test_clean_restart_keeps_finished_jobs(server):
    # After a SIGTERM stop and a start on the same data directory, finished jobs
    # (and their signed URLs, signed by the key kept in the data dir) remain.
    if server.proc is None:
        server.start()
    ack = submit_ok(server, server.key, {"prompt": "kept", "width": 64, "height": 64, "steps": 2,
                                         "output_format": "png"})
    body = wait_terminal(server, server.key, ack["id"])
    assert body["status"] == "Ready"
    sample = body["result"]["sample"]
    assert server.stop() == 0, "kiln serve should exit 0 on SIGTERM"
    server.start()  # same port: public URL unchanged
    again = get_result(server, server.key, ack["id"])
    assert again["status"] == "Ready" and again["result"]["prompt"] == "kept"
    r = requests.get(sample, timeout=30)
    assert r.status_code == 200 and r.content[:4] == b"\x89PNG"
