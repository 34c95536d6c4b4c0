"""A user task's queue comes from the BPMN: who sees, claims and completes each queue's tasks."""
from pathlib import Path

import pytest

from caseapp.extensions import db
from caseapp.models import WorkItem
from caseapp.services.administration.processes import deploy_bpmn

from .helpers import Api
from .web import login

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

# the demo accounts (seed_demo): the portal's, and each agency's officer and leader
EVERYONE = ("operator", "supervisor", "monitor", "designer", "admin", "officer.police",
            "leader.police", "officer.transport", "leader.transport")


def deploy_fixture(name: str) -> None:
    _, created = deploy_bpmn((FIXTURES / name).read_text(encoding="utf-8"))
    assert created


def resolved_case(api: Api, agency: str = "police") -> str:
    """A report dispatched to the agency and resolved there: the task after `handle` is ready."""
    code = api.submit()
    api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": agency})
    api.complete(f"officer.{agency}", code, "handle", {"action": "resolve", "result": "Đã xử lý xong."})
    return code


def queue_ids(api: Api, user: str) -> set[str]:
    response = api.call("GET", "/api/v1/work-items", user, query_string={"per_page": 200})
    if response.status_code == 403:  # no work queue at all (monitor, designer, admin)
        return set()
    assert response.status_code == 200, response.get_json()
    return {item["id"] for item in response.get_json()["items"]}


def assert_only(api: Api, item: dict, allowed: set[str]) -> None:
    """The allowed users list and read the item; everyone else neither lists nor reads it."""
    for user in EVERYONE:
        listed = item["id"] in queue_ids(api, user)
        status = api.call("GET", f"/api/v1/work-items/{item['id']}", user).status_code
        if user in allowed:
            assert listed and status == 200, user
        else:
            assert not listed and status in (403, 404), (user, status)


def assert_refused(api: Api, item: dict, allowed: set[str], data: dict) -> None:
    """Everyone else may neither claim nor complete the item."""
    for user in set(EVERYONE) - allowed:
        for action, body in (("claim", None), ("complete", data)):
            response = api.call("POST", f"/api/v1/work-items/{item['id']}/{action}", user, json=body)
            assert response.status_code in (403, 404), (user, action, response.get_json())


def stored(item_id: str) -> WorkItem:
    db.session.expire_all()
    return db.session.get(WorkItem, item_id)


def test_lane_queues_of_the_bundled_process(seeded, client):
    api = Api(client)
    code = api.submit()
    dispatch = api.item_for("operator", code, "dispatch")
    assert (dispatch["queue"], dispatch["agency"]) == ("portal", None)
    assert_only(api, dispatch, {"operator", "supervisor"})
    api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": "police"})
    handle = api.item_for("officer.police", code, "handle")
    assert (handle["queue"], handle["agency"]) == ("agency", "police")
    assert_only(api, handle, {"officer.police", "leader.police"})
    row = stored(handle["id"])
    assert (row.lane, row.queue, row.agency_id) == ("Agency", "agency", row.case.current_agency_id)


def test_agency_leader_queue(seeded, client):
    deploy_fixture("queue_leader_approval.bpmn")
    api = Api(client)
    code = resolved_case(api)
    item = api.item_for("leader.police", code, "leader_approval")
    assert (item["queue"], item["agency"], item["form"]) == ("agency_leader", "police", "leader_approval")
    row = stored(item["id"])
    assert (row.lane, row.queue) == ("Agency", "agency_leader")  # the lane is kept, for display
    assert_only(api, item, {"leader.police"})
    assert_refused(api, item, {"leader.police"}, {"approval_note": "Đồng ý"})
    claimed = api.call("POST", f"/api/v1/work-items/{item['id']}/claim", "leader.police")
    assert claimed.status_code == 200 and claimed.get_json()["claimed_by"] == "leader.police"


def test_supervisor_queue(seeded, client):
    deploy_fixture("queue_supervisor_review.bpmn")
    api = Api(client)
    code = resolved_case(api)
    item = api.item_for("supervisor", code, "supervisor_review")
    assert (item["queue"], item["agency"]) == ("supervisor", None)
    assert stored(item["id"]).agency_id is None
    assert_only(api, item, {"supervisor"})
    assert_refused(api, item, {"supervisor"}, {"review_note": "Đã xem"})
    claimed = api.call("POST", f"/api/v1/work-items/{item['id']}/claim", "supervisor")
    assert claimed.status_code == 200 and claimed.get_json()["claimed_by"] == "supervisor"


def test_queue_pages_follow_the_queue(seeded, client):
    deploy_fixture("queue_leader_approval.bpmn")
    api = Api(client)
    code = resolved_case(api)
    item = api.item_for("leader.police", code, "leader_approval")
    for user, sees in (("leader.police", True), ("officer.police", False), ("operator", False),
                       ("supervisor", False), ("leader.transport", False)):
        login(client, user)
        page = client.get("/work/")
        assert page.status_code == 200
        assert (code in page.get_data(as_text=True)) is sees, user
        if not sees:
            assert client.get(f"/work/items/{item['id']}").status_code in (403, 404), user
            assert client.post(f"/work/items/{item['id']}/claim").status_code in (403, 404), user
    login(client, "leader.police")
    assert 'value="leader_approval"' in client.get("/work/").get_data(as_text=True)  # task filter
    filtered = client.get("/work/", query_string={"task": "handle"}).get_data(as_text=True)
    assert code not in filtered


def test_the_migration_backfills_queues_from_lanes(seeded, client, backend):
    from flask_migrate import downgrade, upgrade
    api = Api(client)
    code = api.submit()
    api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": "police"})
    other = api.submit()
    db.session.remove()
    downgrade(revision="0001")
    try:
        with db.engine.connect() as conn:
            assert "queue" not in {c["name"] for c in db.inspect(conn).get_columns("work_item")}
    finally:
        upgrade()
    api.tokens.clear()  # the round trip reset every user's session version: new tokens
    rows = {(r.bpmn_id, r.lane, r.queue) for r in db.session.scalars(db.select(WorkItem))}
    assert rows == {("dispatch", "Portal", "portal"), ("handle", "Agency", "agency")}
    assert api.item_for("officer.police", code, "handle")["queue"] == "agency"
    assert api.item_for("operator", other, "dispatch")["queue"] == "portal"


def test_an_item_in_no_known_queue_goes_to_the_supervisor(seeded, client):
    """Rows of versions deployed before queues were checked: never orphaned, never widened."""
    api = Api(client)
    code = api.submit()
    item = api.item_for("operator", code, "dispatch")
    row = stored(item["id"])
    row.queue = None
    db.session.commit()
    assert_only(api, item, {"supervisor"})


@pytest.mark.parametrize("fixture,task,user,data", [
    ("queue_leader_approval.bpmn", "leader_approval", "leader.police", {"approval_note": "Đồng ý"}),
    ("queue_supervisor_review.bpmn", "supervisor_review", "supervisor", {"review_note": "Đã xem"}),
])
def test_the_right_user_completes_and_the_case_moves_on(seeded, client, fixture, task, user, data):
    deploy_fixture(fixture)
    api = Api(client)
    code = resolved_case(api)
    api.complete(user, code, task, data)
    assert api.item_for("operator", code, "publish")["queue"] == "portal"
