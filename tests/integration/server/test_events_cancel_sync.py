"""Kiln's own task routes: server-sent events, cancel, sync mode (Prefer: wait)
and Idempotency-Key (docs/API.md)."""

import time
import uuid

import pytest
import requests

from kiln_server_it import (FAST, SLOW, cancel, cancel_quietly, get_result, iter_sse, open_sse, read_sse, submit,
                            submit_ok, wait_idle, wait_ready, wait_running, wait_terminal, wait_until)


@pytest.fixture(scope="module")
def server(kiln_server_factory):
    # One worker, no batching: jobs behind a slow one stay queued.
    srv = kiln_server_factory(args=["--workers", "1", "--max-batch-size", "1"], name="events")
    srv.key = srv.create_key("events")
    srv.start()
    return srv


def events_url(srv, job_id):
    return srv.url + "/v1/tasks/" + job_id + "/events"


def test_sse_stream_status_progress_done(server):
    # The job waits behind a blocker, so the stream is open before it starts.
    blocker = submit_ok(server, server.key, {"prompt": "blocker", "width": 128, "height": 128, "steps": 20})
    ack = submit_ok(server, server.key, {"prompt": "watched", "width": 64, "height": 64, "steps": 4,
                                         "output_format": "png"})
    try:
        events = read_sse(events_url(server, ack["id"]), {"x-key": server.key}, timeout=90)
        names = [name for name, _ in events]
        assert events, "no events"
        assert names[0] == "status", names
        first = events[0][1]
        assert first["status"] == "Pending" and first["state"] in ("queued", "running"), first
        if first["state"] == "queued":
            assert isinstance(first["queue_position"], int), first
        assert "running" in names, names
        running = [data for name, data in events if name == "running"][0]
        assert running["batch_size"] == 1, running

        progress = [data for name, data in events if name == "progress"]
        assert progress, names
        steps = [p["step"] for p in progress]
        assert all(p["steps"] == 4 for p in progress), progress
        assert steps == sorted(steps) and steps[-1] == 4, steps
        assert all(0 < p["progress"] <= 1 for p in progress), progress
        assert progress[-1]["progress"] == pytest.approx(1.0)

        assert names[-1] == "done", names  # the stream closes after the last event
        assert names.count("done") == 1
        assert "error" not in names
        done = events[-1][1]
        assert "sample" in done and done["sample"].startswith(server.url + "/v1/results/" + ack["id"]), done
        r = requests.get(done["sample"], timeout=30)
        assert r.status_code == 200 and r.content[:4] == b"\x89PNG"
    finally:
        wait_idle(server, server.key, [blocker["id"], ack["id"]])


def test_sse_pushes_queue_position_as_jobs_ahead_start(server):
    # Three jobs ahead with one worker and no batching: the watched job's place
    # is pushed as each of them starts, down to 0 before it runs itself.
    ahead = [submit_ok(server, server.key, {"prompt": "ahead %d" % i, "width": 128, "height": 128, "steps": 8})
             for i in range(3)]
    ack = submit_ok(server, server.key, dict(FAST, prompt="watched place"))
    try:
        events = read_sse(events_url(server, ack["id"]), {"x-key": server.key}, timeout=120)
        places = [data["queue_position"] for name, data in events
                  if name in ("status", "queued") and "queue_position" in data]
        assert len(places) >= 2, events
        assert places == sorted(places, reverse=True), places
        assert places[-1] == 0, places
        assert [name for name, _ in events][-1] == "done", events
    finally:
        wait_idle(server, server.key, [a["id"] for a in ahead] + [ack["id"]])


def test_sse_of_a_finished_job_ends_at_once(server):
    ack = submit_ok(server, server.key, dict(FAST, prompt="already done"))
    wait_ready(server, server.key, ack["id"])
    events = read_sse(events_url(server, ack["id"]), {"x-key": server.key}, timeout=30)
    assert events and events[-1][0] == "done", events
    assert [name for name, _ in events].count("done") == 1


def test_sse_unknown_task_is_404(server):
    r = requests.get(events_url(server, str(uuid.uuid4())), headers={"x-key": server.key}, timeout=30)
    assert r.status_code == 404, r.text


def test_sse_of_a_cancelled_job_ends_with_error(server):
    blocker = submit_ok(server, server.key, dict(SLOW, prompt="blocker"))
    victim = submit_ok(server, server.key, dict(FAST, prompt="victim"))
    events = []
    try:
        wait_running(server, server.key, blocker["id"])
        with open_sse(events_url(server, victim["id"]), {"x-key": server.key}) as r:
            for name, data in iter_sse(r, time.monotonic() + 60):
                events.append((name, data))
                if name == "status":
                    assert data["state"] == "queued", data
                    r2 = cancel(server, server.key, victim["id"])
                    assert r2.status_code == 200, r2.text
    finally:
        cancel_quietly(server, server.key, [blocker["id"], victim["id"]])
    names = [name for name, _ in events]
    assert names[0] == "status" and names[-1] == "error", events
    assert "done" not in names and "progress" not in names, events
    assert "cancelled" in str(events[-1][1]), events
    wait_idle(server, server.key, [blocker["id"], victim["id"]])


def test_cancel_queued_job(server):
    ids = []
    try:
        for i in range(3):
            ids.append(submit_ok(server, server.key, dict(SLOW, prompt="slow %d" % i))["id"])
        last = ids[-1]
        assert get_result(server, server.key, last)["details"]["state"] == "queued"
        r = cancel(server, server.key, last)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "cancelled", r.text  # a queued job is cancelled at once
        body = get_result(server, server.key, last)
        assert body["status"] == "Error", body
        assert body["details"]["state"] == "cancelled", body
        assert body["result"] is None
        # The others are not affected.
        assert get_result(server, server.key, ids[1])["status"] == "Pending"
        # A second cancel of the same job: it has finished.
        assert cancel(server, server.key, last).status_code == 409
    finally:
        cancel_quietly(server, server.key, ids)
    wait_idle(server, server.key, ids)


def test_cancel_running_job(server):
    ack = submit_ok(server, server.key, dict(SLOW, prompt="to be cancelled"))
    job_id = ack["id"]
    try:
        body = wait_running(server, server.key, job_id)
        assert body["status"] == "Pending", "the slow job finished before it could be cancelled: %s" % body
        r = cancel(server, server.key, job_id)
        assert r.status_code == 200, r.text
        assert r.json()["status"] in ("cancelling", "cancelled"), r.text
    finally:
        cancel_quietly(server, server.key, [job_id])
    body = wait_terminal(server, server.key, job_id, timeout=60)
    assert body["status"] == "Error", body
    assert body["details"]["state"] == "cancelled", body
    assert body["result"] is None


def test_cancel_running_job_stops_before_the_last_step(server):
    ack = submit_ok(server, server.key, dict(SLOW, prompt="stopped early"))
    job_id = ack["id"]
    try:
        # Cancel once a few of its 50 steps are done.
        body = wait_until(server, server.key, job_id,
                          lambda b: b["status"] != "Pending" or (b["progress"] or 0) >= 2 / SLOW["steps"],
                          timeout=60, interval=0.01, what="2 steps done")
        assert body["status"] == "Pending", "finished before it could be cancelled: %s" % body
        assert body["progress"] < 1.0, body
        r = cancel(server, server.key, job_id)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "cancelling", r.text
    finally:
        cancel_quietly(server, server.key, [job_id])
    body = wait_terminal(server, server.key, job_id)
    # Cancelled, not Ready: it stopped before its last step (a job finishes once).
    assert body["status"] == "Error" and body["details"]["state"] == "cancelled", body
    assert body["result"] is None


def test_cancel_finished_job_is_409(server):
    ack = submit_ok(server, server.key, dict(FAST, prompt="finished"))
    wait_ready(server, server.key, ack["id"])
    r = cancel(server, server.key, ack["id"])
    assert r.status_code == 409, r.text
    assert "detail" in r.json()
    assert wait_ready(server, server.key, ack["id"])["status"] == "Ready"


def test_cancel_unknown_job_is_404(server):
    assert cancel(server, server.key, str(uuid.uuid4())).status_code == 404


def test_prefer_wait_returns_the_result(server):
    r = submit(server, server.key, dict(FAST, prompt="sync", seed=5), headers={"Prefer": "wait=60"}, timeout=90)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "Ready", body
    assert body["result"]["prompt"] == "sync" and body["result"]["seed"] == 5, body
    assert body["result"]["sample"].startswith(server.url + "/v1/results/" + body["id"]), body
    assert get_result(server, server.key, body["id"])["status"] == "Ready"
    assert requests.get(body["result"]["sample"], timeout=30).status_code == 200


def test_prefer_wait_times_out_with_pending(server):
    # Three slow jobs ahead (several seconds of work), so the 1 s wait is over
    # long before this job can run, even on a heavily loaded machine.
    ids = [submit_ok(server, server.key, dict(SLOW, prompt="blocker %d" % i))["id"] for i in range(3)]
    try:
        start = time.monotonic()
        r = submit(server, server.key, dict(FAST, prompt="waits too little"), headers={"Prefer": "wait=1"},
                   timeout=60)
        assert r.status_code == 200, r.text
        body = r.json()
        ids.append(body["id"])
        assert body["status"] == "Pending", body
        assert time.monotonic() - start < 30
    finally:
        cancel_quietly(server, server.key, ids)
    wait_idle(server, server.key, ids)


def test_idempotency_key(server):
    key = "order-" + uuid.uuid4().hex
    first = submit(server, server.key, dict(FAST, prompt="once"), headers={"Idempotency-Key": key})
    assert first.status_code == 200, first.text
    second = submit(server, server.key, dict(FAST, prompt="once"), headers={"Idempotency-Key": key})
    assert second.status_code == 200, second.text
    assert second.json()["id"] == first.json()["id"]
    assert second.headers.get("Idempotent-Replayed") == "true", second.headers
    assert first.headers.get("Idempotent-Replayed") is None, first.headers
    other = submit_ok(server, server.key, dict(FAST, prompt="once"), headers={"Idempotency-Key": key + "-2"})
    assert other["id"] != first.json()["id"]
    no_key = submit_ok(server, server.key, dict(FAST, prompt="once"))
    assert no_key["id"] not in (first.json()["id"], other["id"])
    wait_idle(server, server.key, [first.json()["id"], other["id"], no_key["id"]])


def test_idempotency_key_too_long_is_422(server):
    r = submit(server, server.key, dict(FAST, prompt="x"), headers={"Idempotency-Key": "k" * 256})
    assert r.status_code == 422, r.text
