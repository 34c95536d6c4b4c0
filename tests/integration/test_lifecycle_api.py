"""Every path of the field-report diagram, driven through the JSON API."""
from caseapp.extensions import db
from caseapp.models import Case, CaseEvent, Notification, User

from .helpers import Api


def events(code):
    case = db.session.scalars(db.select(Case).where(Case.tracking_code == code)).one()
    return [e.kind for e in db.session.scalars(
        db.select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))]


def test_dispatch_return_redispatch_resolve_publish(seeded, client):
    api = Api(client)
    code = api.submit()
    assert api.item_for("operator", code)["task"] == "dispatch"
    api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": "police"})
    state = api.complete("officer.police", code, "handle",
                         {"action": "return", "return_reason": "Thuộc thẩm quyền Sở GTVT"})
    assert state["phase"] == "dispatch" and state["return_count"] == 1
    api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": "transport"})
    # the first agency no longer sees it in its queue, the second does
    listed = api.call("GET", "/api/v1/work-items", "officer.police").get_json()["items"]
    assert all(i["tracking_code"] != code for i in listed)
    api.complete("officer.transport", code, "handle",
                 {"action": "resolve", "result": "Đã gia cố bờ kè tạm thời."})
    item = api.item_for("operator", code, "publish")
    assert item["form"] == "publish"
    final = api.complete("operator", code, "publish",
                         {"public_response": "Sở GTVT đã gia cố bờ kè tạm thời, cảm ơn bạn."})
    assert final["status"] == "closed" and final["phase"] is None
    assert [a["code"] for a in final["agencies"]] == ["police", "transport"]
    assert [a["outcome"] for a in final["agencies"]] == ["returned", "resolved"]
    public = api.call("GET", f"/api/v1/reports/{code}").get_json()
    assert public["status"] == "closed"
    assert public["reply"].startswith("Sở GTVT đã gia cố")
    assert [e["kind"] for e in public["timeline"]] == [
        "submitted", "dispatched", "returned", "dispatched", "resolved", "published"]
    assert events(code).count("dispatched") == 2
    # the reporter gave an e-mail: the published reply is in the outbox for them
    assert [row.recipient_address for row in db.session.scalars(db.select(Notification).where(
        Notification.kind == "reply_published"))] == ["an@example.vn"]  # encrypted at rest: no SQL =


def test_each_reject_reason_ends_with_a_reply(seeded, client):
    api = Api(client)
    original = api.submit()
    for reason in ("spam", "not_field_report", "insufficient_info", "duplicate"):
        code = api.submit()
        data = {"action": "reject", "reject_reason": reason}
        if reason == "duplicate":
            data["duplicate_of"] = original
        state = api.complete("operator", code, "dispatch", data)
        assert state["status"] == "rejected" and state["phase"] is None
        public = api.call("GET", f"/api/v1/reports/{code}").get_json()
        assert public["status"] == "rejected"
        assert public["reply"]
        if reason == "duplicate":
            assert original in public["reply"]


def test_duplicate_needs_an_existing_original(seeded, client):
    api = Api(client)
    code = api.submit()
    body = api.complete("operator", code, "dispatch",
                        {"action": "reject", "reject_reason": "duplicate"}, expect=422)
    assert "duplicate_of" in body["error"]["fields"]
    body = api.complete("operator", code, "dispatch", {"action": "reject", "reject_reason": "duplicate",
                                                      "duplicate_of": "CM-XXXX-XXXX"}, expect=422)
    assert "duplicate_of" in body["error"]["fields"]
    # nothing changed: still waiting for dispatch
    assert api.item_for("operator", code)["task"] == "dispatch"


def test_urgent_dispatch_notifies_the_agency_leader_once(seeded, client):
    api = Api(client)
    code = api.submit(urgent=True)
    api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": "health",
                                                "urgent": True, "note": "Gọi ngay"})
    leader = db.session.scalars(db.select(User).where(User.username == "leader.health")).one()
    rows = db.session.scalars(db.select(Notification).where(
        Notification.kind == "urgent_report")).all()
    assert [r.recipient_user_id for r in rows] == [leader.id]
    assert "urgent_leader_notified" in events(code)
    listed = api.call("GET", "/api/v1/notifications", "leader.health").get_json()["items"]
    assert listed[0]["case"] == code and listed[0]["kind"] == "urgent_report"
    item = api.item_for("officer.health", code)
    assert item["urgent"] is True


def test_not_urgent_dispatch_notifies_nobody(seeded, client):
    api = Api(client)
    code = api.submit()
    api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": "health"})
    assert db.session.scalar(db.select(db.func.count()).select_from(Notification)) == 0


def test_form_errors_are_reported_per_field(seeded, client):
    api = Api(client)
    code = api.submit()
    body = api.complete("operator", code, "dispatch", {"action": "dispatch"}, expect=422)
    assert body["error"]["code"] == "validation_failed"
    assert "agency" in body["error"]["fields"]
    body = api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": "nope"},
                        expect=422)
    assert body["error"]["fields"]["agency"] == ["unknown agency"]
    body = api.complete("operator", code, "dispatch", {"action": "explode"}, expect=422)
    assert "action" in body["error"]["fields"]
    api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": "tnmt"})
    body = api.complete("officer.tnmt", code, "handle", {"action": "resolve"}, expect=422)
    assert "result" in body["error"]["fields"]
    body = api.complete("officer.tnmt", code, "handle", {"action": "return"}, expect=422)
    assert "return_reason" in body["error"]["fields"]


def test_completing_twice_is_a_conflict(seeded, client):
    api = Api(client)
    code = api.submit()
    item = api.item_for("operator", code)
    first = api.call("POST", f"/api/v1/work-items/{item['id']}/complete", "operator",
                     json={"action": "dispatch", "agency": "police"})
    second = api.call("POST", f"/api/v1/work-items/{item['id']}/complete", "operator",
                      json={"action": "dispatch", "agency": "health"})
    assert first.status_code == 200
    assert second.status_code == 409
    assert second.get_json()["error"]["code"] == "already_completed"


def test_claim_and_unclaim(seeded, client):
    api = Api(client)
    code = api.submit()
    item = api.item_for("operator", code)
    assert api.call("POST", f"/api/v1/work-items/{item['id']}/claim", "operator").status_code == 200
    assert api.item_for("supervisor", code)["claimed_by"] == "operator"
    # a colleague cannot complete or claim it meanwhile
    assert api.call("POST", f"/api/v1/work-items/{item['id']}/claim", "supervisor").status_code == 409
    assert api.call("POST", f"/api/v1/work-items/{item['id']}/unclaim", "operator").status_code == 200
    assert api.item_for("supervisor", code)["claimed_by"] is None
