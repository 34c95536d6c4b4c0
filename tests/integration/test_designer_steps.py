"""A designer's diagram, deployed with no code change, run end to end.

tests/fixtures/designer_steps.bpmn is the bundled process plus, on the resolve path: a site
visit (a generated form, Agency lane) guarded by a timer on a new phase `site_visit`; a gateway
on its typed values; a follow-up plan (generated); the agency leader's review
(candidateGroups="agency_leader"); and a rework loop back to the visit when the leader refuses.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time

from caseapp.extensions import db
from caseapp.models import Breach, Case, CaseEvent, Deadline, Notification, User, WorkItem
from caseapp.services.administration.processes import deploy_bpmn
from caseapp.services.administration.sla_settings import set_policy
from caseapp.services.cases import tasks
from caseapp.services.cases.deadlines import sweep
from caseapp.services.errors import Conflict, ValidationFailed

from .helpers import Api
from .test_concurrency import run_together
from .test_deadlines import local

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "designer_steps.bpmn"
VISIT = {"visit_date": "2026-11-25", "hazard_level": 4, "needs_followup": False,
         "road_closed": "partial", "remarks": "Cây đổ chắn một làn đường"}


@pytest.fixture
def designer_version(seeded):
    """The diagram is refused until its new phase has a policy; then it deploys."""
    with pytest.raises(ValidationFailed) as refused:
        deploy_bpmn(FIXTURE.read_text(encoding="utf-8"))
    assert "site_visit" in str(refused.value.fields) + refused.value.message
    assert "flask --app wsgi sla set site_visit" in str(refused.value.fields) + refused.value.message
    set_policy("site_visit", "PT8H", "PT24H", label="khảo sát hiện trường", label_en="site visit")
    version, created = deploy_bpmn(FIXTURE.read_text(encoding="utf-8"))
    assert created
    return version


def _to_site_visit(api: Api) -> str:
    code = api.submit()
    api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": "police"})
    api.complete("officer.police", code, "handle", {"action": "resolve", "result": "Đã cử tổ."})
    return code


def _case(code):
    return db.session.scalars(db.select(Case).where(Case.tracking_code == code)).one()


def _visible(api, user, code):
    response = api.call("GET", "/api/v1/work-items", user, query_string={"per_page": 200})
    return [i["task"] for i in response.get_json()["items"] if i["tracking_code"] == code]


def test_the_whole_designed_path(seeded, client):
    with freeze_time(local(2026, 11, 25, 8, 0)) as clock:  # a Wednesday
        api = Api(client)
        running = api.submit()  # started on the bundled version: keeps it
        clock.tick(60)
        set_policy("site_visit", "PT8H", "PT24H", label="khảo sát hiện trường")
        version, _ = deploy_bpmn(FIXTURE.read_text(encoding="utf-8"))
        code = _to_site_visit(api)
        case = _case(code)
        assert case.process_version_id == version.id != _case(running).process_version_id

        # the new step is in the agency's queue, with a deadline on the new phase
        item = api.item_for("officer.police", code, "site_visit")
        deadline = db.session.scalars(db.select(Deadline).where(
            Deadline.case_id == case.id, Deadline.phase == "site_visit")).one()
        assert deadline.state == "pending" and deadline.agency_id == case.current_agency_id
        assert deadline.due_at - deadline.started_at == timedelta(hours=8)  # a working day
        assert datetime.fromisoformat(item["due_at"]) == deadline.due_at

        # each validation rule is a 422 on its field, and nothing moves
        for bad, field in [({"hazard_level": 9}, "hazard_level"), ({"visit_date": "25/11/2026"},
                           "visit_date"), ({"road_closed": "flooded"}, "road_closed"),
                           ({"remarks": "x"}, "remarks")]:
            response = api.call("POST", f"/api/v1/work-items/{item['id']}/complete",
                                "officer.police", json={**VISIT, **bad})
            assert response.status_code == 422, bad
            assert field in response.get_json()["error"]["fields"], response.get_json()
        assert _case(code).phase == "site_visit"

        # the deadline of the new phase fires like a built-in one
        clock.move_to(local(2026, 11, 25, 17, 0))
        assert sweep() == 2  # this case's site visit, and the waiting case's dispatch
        breach = db.session.scalars(db.select(Breach).where(Breach.case_id == case.id)).one()
        assert breach.phase == "site_visit"
        leader = db.session.scalars(db.select(User).where(User.username == "leader.police")).one()
        notice = db.session.scalars(db.select(Notification).where(
            Notification.case_id == case.id, Notification.kind == "deadline_breach")).one()
        assert notice.recipient_user_id == leader.id and "khảo sát hiện trường" in notice.subject

        # hazard 4: the gateway sends it to a follow-up plan, then to the leader alone
        api.complete("officer.police", code, "site_visit", VISIT)
        api.complete("officer.police", code, "followup", {"followup_plan": "Kiểm tra lại sau 3 ngày"})
        assert _visible(api, "officer.police", code) == []
        assert _visible(api, "leader.police", code) == ["leader_review"]
        assert _visible(api, "leader.health", code) == []
        review = api.item_for("leader.police", code, "leader_review")
        refused = api.call("POST", f"/api/v1/work-items/{review['id']}/complete", "officer.police",
                           json={"approved": True})
        assert refused.status_code in (403, 404)

        # the leader refuses: back to the visit (a new work item), then a calm visit goes on
        api.complete("leader.police", code, "leader_review",
                     {"approved": False, "review_comment": "Cần khảo sát lại"})
        again = api.item_for("officer.police", code, "site_visit")
        assert again["id"] != item["id"]
        api.complete("officer.police", code, "site_visit",
                     {**VISIT, "hazard_level": 1, "road_closed": "open"})
        assert api.item_for("operator", code, "publish")["task"] == "publish"
        final = api.complete("operator", code, "publish", {"public_response": "Đã xử lý xong, cảm ơn bạn."})
        assert final["status"] == "closed"

        # the submitted values are in the audit trail, typed
        details = [e.detail for e in db.session.scalars(db.select(CaseEvent).where(
            CaseEvent.case_id == case.id, CaseEvent.kind == "task_completed").order_by(CaseEvent.id))]
        assert [d["task"] for d in details] == ["site_visit", "followup", "leader_review", "site_visit"]
        assert details[0]["values"]["hazard_level"] == 4 and details[2]["values"]["approved"] is False

        # the case started before the deploy finishes on its own version: no site visit
        api.complete("operator", running, "dispatch", {"action": "dispatch", "agency": "police"})
        api.complete("officer.police", running, "handle", {"action": "resolve", "result": "Xong."})
        assert _visible(api, "operator", running) == ["publish"]


@pytest.mark.parametrize("task,user,data", [
    ("site_visit", "officer.police", VISIT),
    ("leader_review", "leader.police", {"approved": True}),
])
def test_concurrent_completions_of_a_designed_step(seeded, designer_version, client, task,
                                                    user, data):
    api = Api(client)
    code = _to_site_visit(api)
    if task == "leader_review":
        api.complete("officer.police", code, "site_visit", VISIT)
        api.complete("officer.police", code, "followup", {"followup_plan": "Theo dõi"})
    item_id = api.item_for(user, code, task)["id"]
    user_id = db.session.scalars(db.select(User.id).where(User.username == user)).one()
    db.session.remove()

    def attempt():
        return tasks.complete(db.session.get(User, user_id), item_id, dict(data)).id

    results = run_together(seeded, *[attempt] * 10)
    assert sum(1 for kind, _ in results if kind == "ok") == 1, results
    assert all(isinstance(value, Conflict) for kind, value in results if kind == "error"), results
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(CaseEvent).where(
        CaseEvent.kind == "task_completed", CaseEvent.detail["task"].as_string() == task)) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(WorkItem).where(
        WorkItem.id == item_id, WorkItem.state == "completed")) == 1

