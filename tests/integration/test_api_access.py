"""Submission validation, idempotency, authentication, ownership and confidentiality."""
import pytest

from .helpers import REPORT, Api


def test_submit_returns_tracking_code_and_status(seeded, client):
    response = client.post("/api/v1/reports", json=REPORT)
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "open" and body["tracking_code"].startswith("CM-")


@pytest.mark.parametrize("field,value", [
    ("phone", "12345"), ("phone", "0112345678"), ("phone", ""), ("full_name", "A"),
    ("description", "short"), ("category", "aliens"), ("email", "not-an-email"),
    ("lat", 200), ("description", "x" * 5001),
])
def test_submit_rejects_bad_fields(seeded, client, field, value):
    response = client.post("/api/v1/reports", json={**REPORT, field: value})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed" and field in error["fields"]


def test_submit_accepts_international_and_landline_numbers(seeded, client):
    for phone in ("+84 912 345 678", "0290 3831 234"):
        assert client.post("/api/v1/reports", json={**REPORT, "phone": phone}).status_code == 201


def test_non_json_body_is_a_clear_error(seeded, client):
    response = client.post("/api/v1/reports", data="oops", content_type="text/plain")
    assert response.status_code == 422
    assert "JSON" in response.get_json()["error"]["message"]


def test_idempotency_key_returns_the_same_case(seeded, client):
    headers = {"Idempotency-Key": "phone-42-retry"}
    first = client.post("/api/v1/reports", json=REPORT, headers=headers)
    second = client.post("/api/v1/reports", json=REPORT, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.get_json()["tracking_code"] == second.get_json()["tracking_code"]
    assert second.headers["Idempotent-Replayed"] == "true"
    api = Api(client)
    codes = [i["tracking_code"] for i in
             api.call("GET", "/api/v1/work-items", "operator").get_json()["items"]]
    assert codes.count(first.get_json()["tracking_code"]) == 1 and len(codes) == 1


def test_public_status_never_shows_identity(seeded, client):
    code = Api(client).submit()
    body = client.get(f"/api/v1/reports/{code}").get_data(as_text=True)
    assert "Nguyễn Văn An" not in body and "0912345678" not in body and "an@example.vn" not in body
    assert client.get("/api/v1/reports/CM-NOPE-NOPE").status_code == 404


def test_staff_endpoints_need_a_valid_token(seeded, client):
    assert client.get("/api/v1/work-items").status_code == 401
    bad = client.get("/api/v1/work-items", headers={"Authorization": "Bearer forged"})
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "unauthorized"
    wrong = client.post("/api/v1/tokens", json={"username": "operator", "password": "nope"})
    assert wrong.status_code == 401


def test_lockout_after_repeated_failures(seeded, client):
    for _ in range(5):
        client.post("/api/v1/tokens", json={"username": "operator", "password": "nope"})
    locked = client.post("/api/v1/tokens", json={"username": "operator", "password": "pw"})
    assert locked.status_code == 429


def test_queues_belong_to_their_owners(seeded, client):
    api = Api(client)
    code = api.submit()
    portal_item = api.item_for("operator", code)
    # agency staff do not see or touch portal items
    assert api.call("GET", "/api/v1/work-items", "officer.police").get_json()["items"] == []
    assert api.call("POST", f"/api/v1/work-items/{portal_item['id']}/complete", "officer.police",
                    json={"action": "dispatch", "agency": "police"}).status_code == 403
    api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": "police"})
    handle = api.item_for("officer.police", code)
    assert handle["task"] == "handle" and handle["form"] == "handle"
    for key in ("id", "tracking_code", "task", "form", "title", "category", "urgent",
                "created_at", "due_at", "overdue", "claimed_by"):
        assert key in handle
    # another agency: 403 on the item and on the case
    assert api.call("POST", f"/api/v1/work-items/{handle['id']}/claim", "officer.health").status_code == 403
    assert api.call("GET", f"/api/v1/cases/{code}", "officer.health").status_code == 403
    assert api.call("GET", "/api/v1/work-items/nonexistent", "officer.police").status_code == 404
    # the operator no longer has it; the leader of police sees it in the agency queue
    assert api.item_for("leader.police", code)["id"] == handle["id"]


def test_identity_for_agency_only_with_consent(seeded, client):
    api = Api(client)
    hidden = api.submit()
    shared = api.submit(consent_share_identity=True)
    for code in (hidden, shared):
        api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": "police"})
    assert api.call("GET", f"/api/v1/cases/{hidden}", "operator").get_json()["reporter"]["phone"] == "0912345678"
    hidden_body = api.call("GET", f"/api/v1/cases/{hidden}", "officer.police")
    assert hidden_body.get_json()["reporter"] is None
    assert "0912345678" not in hidden_body.get_data(as_text=True)
    shared_body = api.call("GET", f"/api/v1/cases/{shared}", "officer.police").get_json()
    assert shared_body["reporter"]["full_name"] == "Nguyễn Văn An"
    assert any(e["kind"] == "identity_disclosed" for e in
               api.call("GET", f"/api/v1/cases/{shared}", "operator").get_json()["audit"])


def test_former_agency_keeps_read_access(seeded, client):
    api = Api(client)
    code = api.submit()
    api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": "police"})
    api.complete("officer.police", code, "handle", {"action": "return", "return_reason": "Không thuộc thẩm quyền"})
    assert api.call("GET", f"/api/v1/cases/{code}", "officer.police").status_code == 200
    assert api.call("GET", f"/api/v1/cases/{code}", "officer.tnmt").status_code == 403


def test_reference_and_health_endpoints(seeded, client):
    categories = {c["code"] for c in client.get("/api/v1/categories").get_json()["items"]}
    assert {"epidemic", "weather", "disaster", "security", "health", "suggestion", "other"} <= categories
    agencies = {a["code"] for a in client.get("/api/v1/agencies").get_json()["items"]}
    assert {"police", "health", "tnmt", "transport", "agriculture"} <= agencies and len(agencies) >= 8
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json() == {"status": "ok", "db": "ok", "timers": "embedded"}


def test_unknown_api_path_is_json(seeded, client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
