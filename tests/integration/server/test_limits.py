"""Admission limits: tenant rate (token bucket), active tasks, priority ceiling,
the global queue bound, and deadlines of queued tasks (docs/API.md)."""

import time

import pytest

from kiln_server_it import (FAST, SLOW, cancel, cancel_quietly, get_result, submit, submit_ok, wait_idle,
                            wait_running, wait_terminal, wait_until)


@pytest.fixture(scope="module")
def server(kiln_server_factory):
    # One worker and no batching: a slow job keeps everything behind it queued.
    srv = kiln_server_factory(args=["--workers", "1", "--max-batch-size", "1"], name="limits")
    srv.key_rate = srv.create_key("rate-limited", rate=1, burst=1)
    srv.key_active = srv.create_key("one-active", max_active=1)
    srv.key_prio = srv.create_key("prio-3", max_priority=3)
    srv.key = srv.create_key("plain")
    srv.start()
    return srv


@pytest.fixture(scope="module")
def small_queue_server(kiln_server_factory):
    srv = kiln_server_factory(args=["--workers", "1", "--max-batch-size", "1", "--queue-capacity", "1"],
                              name="limits-queue")
    srv.key = srv.create_key("plain")
    srv.start()
    return srv


def assert_429(r):
    assert r.status_code == 429, (r.status_code, r.text)
    assert "detail" in r.json(), r.text
    retry_after = r.headers.get("Retry-After")
    assert retry_after is not None, r.headers
    assert int(retry_after) >= 1, retry_after
    return int(retry_after)


def test_rate_limit_second_quick_submit_is_429(server):
    first = submit(server, server.key_rate, dict(FAST, prompt="first"))
    assert first.status_code == 200, first.text
    second = submit(server, server.key_rate, dict(FAST, prompt="second"))
    retry_after = assert_429(second)
    assert retry_after <= 5, retry_after  # rate 1/s: a token is due within about a second
    # After Retry-After the bucket has a token again (bounded: a few tries).
    time.sleep(retry_after + 0.2)
    third = None
    for _ in range(5):
        third = submit(server, server.key_rate, dict(FAST, prompt="third"))
        if third.status_code == 200:
            break
        time.sleep(0.5)
    assert third.status_code == 200, third.text
    wait_idle(server, server.key_rate, [first.json()["id"], third.json()["id"]])


def test_rate_limit_is_per_tenant(server):
    # Another tenant is not limited by the rate-limited tenant's bucket.
    submit(server, server.key_rate, dict(FAST, prompt="drain"))
    ids = [submit_ok(server, server.key, dict(FAST, prompt="free %d" % i))["id"] for i in range(3)]
    wait_idle(server, server.key, ids)


def test_max_active_second_job_is_429_while_one_is_active(server):
    slow = submit_ok(server, server.key_active, dict(SLOW, prompt="the active one"))
    try:
        r = submit(server, server.key_active, dict(FAST, prompt="one too many"))
        assert_429(r)
    finally:
        cancel(server, server.key_active, slow["id"])
    body = wait_terminal(server, server.key_active, slow["id"])
    assert body["status"] == "Error" and body["details"]["state"] == "cancelled", body
    # Once it has ended, the tenant may submit again.
    again = submit_ok(server, server.key_active, dict(FAST, prompt="after the active one"))
    wait_idle(server, server.key_active, [again["id"]])


def test_priority_above_tenant_max_is_422(server):
    r = submit(server, server.key, dict(FAST, prompt="x", priority=1))  # this tenant's max is 0
    assert r.status_code == 422, r.text
    assert ["body", "priority"] in [d["loc"] for d in r.json()["detail"]], r.text
    r = submit(server, server.key_prio, dict(FAST, prompt="x", priority=4))
    assert r.status_code == 422, r.text
    assert ["body", "priority"] in [d["loc"] for d in r.json()["detail"]], r.text
    ok = submit_ok(server, server.key_prio, dict(FAST, prompt="x", priority=3))
    ok0 = submit_ok(server, server.key, dict(FAST, prompt="x", priority=0))
    wait_idle(server, server.key_prio, [ok["id"]])
    wait_idle(server, server.key, [ok0["id"]])


def test_higher_priority_is_ahead_in_the_queue(server):
    blocker = submit_ok(server, server.key_prio, dict(SLOW, prompt="blocker"))
    low = high = None
    try:
        wait_running(server, server.key_prio, blocker["id"])
        low = submit_ok(server, server.key_prio, dict(FAST, prompt="low", priority=0))
        high = submit_ok(server, server.key_prio, dict(FAST, prompt="high", priority=3))
        body_high = get_result(server, server.key_prio, high["id"])
        body_low = get_result(server, server.key_prio, low["id"])
        assert body_high["details"]["state"] == "queued", body_high
        assert body_low["details"]["state"] == "queued", body_low
        assert body_high["details"]["queue_position"] < body_low["details"]["queue_position"], (body_high, body_low)
    finally:
        cancel(server, server.key_prio, blocker["id"])
    # Both run once the blocker is gone; the high-priority one first.
    end_high = wait_terminal(server, server.key_prio, high["id"])
    end_low = wait_terminal(server, server.key_prio, low["id"])
    assert end_high["status"] == "Ready" and end_low["status"] == "Ready", (end_high, end_low)
    assert end_high["result"]["start_time"] <= end_low["result"]["start_time"], (end_high, end_low)
    wait_idle(server, server.key_prio, [blocker["id"]])


def test_deadline_of_a_queued_job(server):
    blocker = submit_ok(server, server.key, dict(SLOW, prompt="blocker"))
    late = None
    try:
        wait_running(server, server.key, blocker["id"])
        late = submit_ok(server, server.key, dict(FAST, prompt="in a hurry", deadline_seconds=0.3))
        body = get_result(server, server.key, late["id"])
        assert body["status"] in ("Pending", "Error"), body
        time.sleep(1.0)  # past its deadline while still queued behind the blocker
    finally:
        cancel(server, server.key, blocker["id"])  # frees the worker, which then finds the expired job
    body = wait_terminal(server, server.key, late["id"])
    assert body["status"] == "Error", body
    assert body["result"] is None
    assert "deadline" in str(body["details"]).lower(), body
    assert body["details"]["state"] == "error", body
    wait_idle(server, server.key, [blocker["id"]])


def test_deadline_not_reached_runs_normally(server):
    ack = submit_ok(server, server.key, dict(FAST, prompt="relaxed", deadline_seconds=120))
    wait_until(server, server.key, ack["id"], lambda b: b["status"] == "Ready", what="Ready")


def test_global_queue_capacity_gives_429(small_queue_server):
    srv = small_queue_server
    ids = []
    try:
        running = submit_ok(srv, srv.key, dict(SLOW, prompt="running"))
        ids.append(running["id"])
        wait_running(srv, srv.key, running["id"])
        queued = submit_ok(srv, srv.key, dict(FAST, prompt="queued"))  # the one queue slot
        ids.append(queued["id"])
        r = submit(srv, srv.key, dict(FAST, prompt="no room"))
        if r.status_code == 200:
            ids.append(r.json()["id"])
        assert_429(r)
    finally:
        cancel_quietly(srv, srv.key, ids)
    wait_idle(srv, srv.key, ids)
    # With room again, submits are accepted.
    after = submit_ok(srv, srv.key, dict(FAST, prompt="room again"))
    wait_idle(srv, srv.key, [after["id"]])
