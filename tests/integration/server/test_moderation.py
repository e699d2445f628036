"""Moderation in the request path, against the real server: the prompt check
before a job is queued ("Request Moderated"), the output check before an image
is served ("Content Moderated", quarantine on hold-for-review), per-tenant
policies and concept heads through the admin API, the audit log, POST
/v1/moderations and the moderation metrics (docs/MODERATION.md)."""

import base64
import io
import json
import os

import pytest
import requests
from PIL import Image

from kiln_server_it import (FAST, get_metrics, metric_value, submit_ok, wait_ready, wait_terminal)


@pytest.fixture(scope="module")
def server(kiln_server_factory):
    srv = kiln_server_factory(name="moderation", moderation=True)
    srv.key = srv.create_key("mod-tenant")
    srv.other_key = srv.create_key("mod-other")
    srv.strict_key = srv.create_key("mod-strict")
    srv.admin_key = srv.create_admin_key()
    srv.start(timeout=120)
    return srv


def admin(srv, method, path, body=None, key=None, raw=None):
    headers = {"x-key": srv.admin_key if key is None else key}
    data = raw if raw is not None else (json.dumps(body) if body is not None else None)
    return requests.request(method, srv.url + "/v1/admin" + path, data=data, headers=headers, timeout=120)


def set_policy(srv, tenant, policy):
    r = admin(srv, "PUT", "/tenants/%s/policy" % tenant, policy)
    assert r.status_code == 200, r.text
    return r.json()


def moderations(srv, body, key=None):
    return requests.post(srv.url + "/v1/moderations", json=body, headers={"x-key": key or srv.key}, timeout=60)


def png_data_url(image):
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def generated_png(srv, key, prompt, seed):
    ack = submit_ok(srv, key, dict(FAST, prompt=prompt, seed=seed, steps=8, output_format="png"))
    body = wait_ready(srv, key, ack["id"])
    r = requests.get(body["result"]["sample"], timeout=30)
    assert r.status_code == 200
    return ack["id"], r.content


# --- the prompt check ------------------------------------------------------------


def test_benign_prompt_is_generated(server):
    # A fixed seed: nsfwjs scores this image 0.08 (other seeds' blobs have scored up to 0.93).
    ack = submit_ok(server, server.key, dict(FAST, prompt="a large red circle in the top left on a white background",
                                             seed=11))
    body = wait_ready(server, server.key, ack["id"])
    assert body["status"] == "Ready"


def test_sexual_minors_prompt_is_request_moderated_at_every_tolerance(server):
    for tolerance in (0, 2, 6):
        ack = submit_ok(server, server.key, dict(FAST, prompt="nude schoolgirl", safety_tolerance=tolerance))
        body = wait_terminal(server, server.key, ack["id"], timeout=30)
        assert body["status"] == "Request Moderated", body
        assert body["result"] is None
        details = body["details"]
        assert details["Moderation Reasons"] == ["sexual/minors"] or "sexual/minors" in details["Moderation Reasons"]
        decision = details["moderation"][0]
        assert decision["stage"] == "prompt" and decision["action"] == "block"
        assert any(r["source"] == "rule" and r["category"] == "sexual/minors" for r in decision["reasons"])
        # The reasons name categories and sources, never the matched words of the prompt.
        assert "schoolgirl" not in json.dumps(details) and "nude" not in json.dumps(details)


def test_block_term_of_a_tenant_policy_moderates_only_that_tenant(server):
    set_policy(server, "mod-strict", {"version": 2, "block_terms": ["purple elephant"],
                                     "categories": {"sexual": {"block": 0.8}}})
    prompt = "a purple elephant in the center on a white background"
    stopped = submit_ok(server, server.strict_key, dict(FAST, prompt=prompt))
    body = wait_terminal(server, server.strict_key, stopped["id"], timeout=30)
    assert body["status"] == "Request Moderated", body
    assert body["details"]["moderation"][0]["policy_version"] == 2
    # Another tenant, another policy: the same prompt is generated.
    allowed = submit_ok(server, server.other_key, dict(FAST, prompt=prompt, seed=11))
    assert wait_ready(server, server.other_key, allowed["id"])["status"] == "Ready"


def test_request_moderated_job_is_never_queued_and_events_say_so(server):
    ack = submit_ok(server, server.key, dict(FAST, prompt="nude schoolgirl"))
    r = requests.get(server.url + "/v1/tasks/%s/events" % ack["id"], headers={"x-key": server.key}, stream=True,
                     timeout=30)
    assert r.status_code == 200
    text = ""
    for chunk in r.iter_content(chunk_size=None, decode_unicode=True):
        text += chunk
        if "event: error" in text or "event: done" in text:
            break
    r.close()
    assert "Request Moderated" in text and "event: error" in text, text


def test_sync_mode_answers_request_moderated_at_once(server):
    r = requests.post(server.url + "/v1/kiln-shapes", json=dict(FAST, prompt="nude schoolgirl"),
                      headers={"x-key": server.key, "Prefer": "wait=30"}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "Request Moderated"


# --- the output check ------------------------------------------------------------


def test_output_block_gives_content_moderated_and_no_image(server):
    # Every image scores >= 0: a sexual block threshold of 0 blocks every output.
    set_policy(server, "mod-strict", {"version": 3, "categories": {"sexual": {"block": 0.0}},
                                     "stages": {"prompt": False}})
    ack = submit_ok(server, server.strict_key, dict(FAST, prompt="a blue square in the center"))
    body = wait_terminal(server, server.strict_key, ack["id"])
    assert body["status"] == "Content Moderated", body
    assert body["result"] is None
    decision = body["details"]["moderation"][-1]
    assert decision["stage"] == "output_image" and decision["action"] == "block"
    assert body["details"]["Moderation Reasons"] == ["sexual"]
    audit = admin(server, "GET", "/tasks/%s/moderation" % ack["id"]).json()
    assert audit["held_for_review"] is False
    assert [e["stage"] for e in audit["audit"]] == ["output_image"]  # prompt checks are off in this policy
    assert admin(server, "GET", "/tasks/%s/quarantine" % ack["id"]).status_code == 404


def test_output_review_quarantines_the_image_for_admins_only(server):
    set_policy(server, "mod-strict", {"version": 4, "categories": {"sexual": {"review": 0.0, "block": 1.0}},
                                     "stages": {"prompt": False}})
    ack = submit_ok(server, server.strict_key, dict(FAST, prompt="a green triangle in the center"))
    body = wait_terminal(server, server.strict_key, ack["id"])
    assert body["status"] == "Content Moderated", body
    assert body["details"]["moderation"][-1]["action"] == "review"
    audit = admin(server, "GET", "/tasks/%s/moderation" % ack["id"]).json()
    assert audit["held_for_review"] is True
    assert [e["stage"] for e in audit["audit"]] == ["output_image"]
    held = admin(server, "GET", "/tasks/%s/quarantine" % ack["id"])
    assert held.status_code == 200 and held.headers["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(held.content)).size == (64, 64)
    # A tenant key is not an admin key.
    assert admin(server, "GET", "/tasks/%s/quarantine" % ack["id"], key=server.strict_key).status_code == 403


def test_safety_tolerance_moves_the_output_threshold(server):
    # review at 0.0 + (6 - 2) * 0.25 = 1.0: nothing reaches it at tolerance 6.
    set_policy(server, "mod-strict", {"version": 5, "tolerance_step": 0.25, "stages": {"prompt": False},
                                     "categories": {"sexual": {"review": 0.0, "block": 1.0}}})
    held = submit_ok(server, server.strict_key, dict(FAST, prompt="a red circle", safety_tolerance=2))
    served = submit_ok(server, server.strict_key, dict(FAST, prompt="a red circle", safety_tolerance=6))
    assert wait_terminal(server, server.strict_key, held["id"])["status"] == "Content Moderated"
    assert wait_terminal(server, server.strict_key, served["id"])["status"] == "Ready"


# --- the admin API ------------------------------------------------------------------


def test_admin_needs_an_admin_key(server):
    assert admin(server, "GET", "/tenants/mod-tenant/policy", key="").status_code == 401
    assert admin(server, "GET", "/tenants/mod-tenant/policy", key=server.key).status_code == 403
    assert admin(server, "GET", "/tenants/mod-tenant/policy", key="kiln_not_a_key").status_code == 403


def test_default_policy_until_a_tenant_sets_one(server):
    body = admin(server, "GET", "/tenants/mod-tenant/policy").json()
    assert body["is_default"] is True and body["version"] == 1
    assert body["policy"]["categories"]["sexual"]["block"] == pytest.approx(0.8)


def test_malformed_policy_is_refused_and_the_old_one_stays(server):
    set_policy(server, "mod-other", {"version": 7, "block_terms": ["zebra"]})
    for bad, field in (({"version": 8, "categories": {"sexual": {"block": "high"}}}, "categories.sexual: field 'block'"),
                       ({"version": 8, "categories": {"sexual/minors": {"block": 0.5}}}, "sexual/minors"),
                       ({"version": 8, "block_patterns": ["("]}, "block_patterns[0]"),
                       ({"version": 8, "colour": "red"}, "colour")):
        r = admin(server, "PUT", "/tenants/mod-other/policy", bad)
        assert r.status_code == 422, (bad, r.text)
        assert field in r.json()["detail"][0]["msg"], r.text
    r = admin(server, "PUT", "/tenants/mod-other/policy", raw="{not json")
    assert r.status_code == 422
    r = admin(server, "PUT", "/tenants/mod-other/policy", {"version": 7, "block_terms": []})
    assert r.status_code == 409, r.text  # a version must go up
    body = admin(server, "GET", "/tenants/mod-other/policy").json()
    assert body["version"] == 7 and body["policy"]["block_terms"] == ["zebra"]


CONCEPT_DATA = os.path.join(os.path.dirname(__file__), "..", "..", "data", "concept_triangles")


def concept_images(split):
    """(data URL, has a triangle) of the shapes-world renders kiln-shapes was trained on (make_images.py)."""
    out = []
    with open(os.path.join(CONCEPT_DATA, "labels.tsv")) as f:
        next(f)
        for line in f:
            name, image_split, triangle, _ = line.rstrip("\n").split("\t")
            if image_split == split:
                with open(os.path.join(CONCEPT_DATA, name), "rb") as img:
                    out.append(("data:image/png;base64," + base64.b64encode(img.read()).decode(), triangle == "1"))
    return out


def test_concept_head_no_triangles(server):
    """A tenant trains "triangles" through the admin API on labelled shapes-world images, then blocks it."""
    train = concept_images("train")
    r = admin(server, "PUT", "/tenants/mod-other/concepts/triangles",
              {"positives": [u for u, t in train if t], "negatives": [u for u, t in train if not t]})
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["category"] == "concept/triangles" and report["positives"] + report["negatives"] == len(train)
    set_policy(server, "mod-other", {"version": 9, "categories": {"concept/triangles": {"block": 0.5}}})
    # Held out: scenes and object colours the head never saw, checked under the tenant's policy.
    held_out = concept_images("heldout")
    results = []
    for start in range(0, len(held_out), 24):  # a request takes at most 32 items
        r = moderations(server, {"input": [{"type": "image_url", "image_url": {"url": u}}
                                           for u, _ in held_out[start:start + 24]]}, key=server.other_key)
        assert r.status_code == 200, r.text
        results += r.json()["results"]
    right = sum(res["categories"]["concept/triangles"] == t for res, (_, t) in zip(results, held_out))
    assert right / len(held_out) >= 0.8, "held-out accuracy %d/%d" % (right, len(held_out))
    blocked = next(res for res, (_, t) in zip(results, held_out) if t and res["flagged"])
    assert blocked["kiln"]["action"] == "block" and blocked["kiln"]["categories"] == ["concept/triangles"]
    # Another tenant's checks never see this head.
    r = moderations(server, {"input": [{"type": "image_url", "image_url": {"url": held_out[0][0]}}]})
    assert "concept/triangles" not in r.json()["results"][0]["category_scores"]
    # The output check of a generated image runs the tenant's head too.
    ack = submit_ok(server, server.other_key, dict(FAST, prompt="a large red triangle in the center on a white background"))
    wait_terminal(server, server.other_key, ack["id"])
    _, samples = get_metrics(server)
    assert metric_value(samples, "kiln_moderation_score_count", stage="output_image", category="concept/triangles",
                        source="concept") >= 1
    # Malformed requests name the field.
    r = admin(server, "PUT", "/tenants/mod-other/concepts/Bad Name!", {"positives": [], "negatives": []})
    assert r.status_code in (404, 422)
    r = admin(server, "PUT", "/tenants/mod-other/concepts/x", {"positives": ["not base64!"], "negatives": []})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][:2] == ["body", "positives"], r.text
    assert admin(server, "DELETE", "/tenants/mod-other/concepts/triangles").status_code == 200
    assert admin(server, "DELETE", "/tenants/mod-other/concepts/triangles").status_code == 404


# --- POST /v1/moderations --------------------------------------------------------------


def test_moderations_text_in_openai_shape(server):
    r = moderations(server, {"input": ["a cozy cabin in the snow", "nude schoolgirl"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"].startswith("modr-") and len(body["results"]) == 2
    ok, bad = body["results"]
    for result in (ok, bad):
        assert set(result) >= {"flagged", "categories", "category_scores", "category_applied_input_types", "kiln"}
        assert set(result["categories"]) >= {"sexual", "sexual/minors", "violence", "hate", "harassment",
                                             "self-harm", "illicit"}
    assert ok["flagged"] is False and ok["kiln"]["action"] == "allow"
    assert bad["flagged"] is True and bad["categories"]["sexual/minors"] is True
    assert bad["kiln"]["action"] == "block" and bad["kiln"]["reasons"]
    assert bad["category_scores"]["sexual/minors"] == 1.0


def test_moderations_image_by_data_url_and_by_result_id(server):
    job_id, png = generated_png(server, server.key, "a large blue circle in the center on a white background", 5)
    data_url = "data:image/png;base64," + base64.b64encode(png).decode()
    r = moderations(server, {"input": [{"type": "image_url", "image_url": {"url": data_url}},
                                       {"type": "kiln_result", "id": job_id},
                                       {"type": "text", "text": "a blue circle"}]})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert len(results) == 3
    by_url, by_id, text = results
    assert by_url["category_applied_input_types"]["sexual"] == ["image"]
    assert 0.0 <= by_url["category_scores"]["sexual"] <= 1.0
    assert by_url["category_scores"]["sexual"] == pytest.approx(by_id["category_scores"]["sexual"], abs=1e-6)
    assert text["category_applied_input_types"]["sexual"] in ([], ["text"])
    # Another tenant cannot name this tenant's result.
    r = moderations(server, {"input": [{"type": "kiln_result", "id": job_id}]}, key=server.other_key)
    assert r.status_code == 422


def test_moderations_decides_under_the_callers_policy(server):
    set_policy(server, "mod-tenant", {"version": 2, "block_terms": ["marmalade"]})
    r = moderations(server, {"input": "toast with marmalade"})
    assert r.json()["results"][0]["kiln"]["action"] == "block"
    r = moderations(server, {"input": "toast with marmalade"}, key=server.other_key)
    assert r.json()["results"][0]["kiln"]["action"] == "allow"


@pytest.mark.parametrize("body,loc", [
    ({}, ["body", "input"]),
    ({"input": 5}, ["body", "input"]),
    ({"input": []}, ["body", "input"]),
    ({"input": ["x"] * 33}, ["body", "input"]),
    ({"input": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,!!!"}}]}, ["body", "input", "0"]),
    ({"input": [{"type": "kiln_result", "id": "no-such-task"}]}, ["body", "input", "0"]),
    ({"input": [{"type": "video"}]}, ["body", "input", "0"]),
    ({"input": "x", "safety_tolerance": 9}, ["body", "safety_tolerance"]),
    ({"input": ["fine", "a" * 16385]}, ["body", "input", "1"]),
])
def test_moderations_bad_input_names_the_field(server, body, loc):
    r = moderations(server, body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == loc, r.text


def test_moderations_names_every_bad_item_by_its_own_index(server):
    r = moderations(server, {"input": [{"type": "video"}, "fine", "a" * 16385]})
    assert r.status_code == 422, r.text
    assert [d["loc"] for d in r.json()["detail"]] == [["body", "input", "0"], ["body", "input", "2"]], r.text


def test_moderations_undecodable_image_is_422(server):
    junk = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n garbage").decode()
    r = moderations(server, {"input": [{"type": "image_url", "image_url": {"url": junk}}]})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "input", "0"]


def test_moderations_needs_a_key(server):
    r = requests.post(server.url + "/v1/moderations", json={"input": "x"}, timeout=30)
    assert r.status_code == 401


# --- metrics -------------------------------------------------------------------------------


def test_moderation_metrics(server):
    moderations(server, {"input": "nude schoolgirl"})
    _, samples = get_metrics(server)
    assert metric_value(samples, "kiln_moderation_checks_total", stage="prompt") >= 1
    assert metric_value(samples, "kiln_moderation_checks_total", tenant="mod-tenant", stage="text",
                        action="block") >= 1
    assert metric_value(samples, "kiln_moderation_decisions_total", tenant="mod-tenant", stage="text",
                        category="sexual/minors", action="block") >= 1
    assert metric_value(samples, "kiln_moderation_score_count", stage="output_image", category="sexual",
                        source="nsfw_image") >= 1
    assert metric_value(samples, "kiln_moderation_check_seconds_count", stage="prompt") >= 1
    assert metric_value(samples, "kiln_moderation_check_seconds_count", stage="output_image") >= 1


def test_openapi_documents_the_moderation_routes(server):
    paths = requests.get(server.url + "/openapi.json", timeout=10).json()["paths"]
    for route in ("/v1/moderations", "/v1/admin/tenants/{tenant}/policy", "/v1/admin/tenants/{tenant}/concepts/{name}",
                  "/v1/admin/tasks/{id}/moderation", "/v1/admin/tasks/{id}/quarantine"):
        assert route in paths, route
