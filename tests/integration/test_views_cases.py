"""Case pages: access by role and agency, confidentiality, photos, deadlines, the diagram."""
from __future__ import annotations

import json
import re

from .web import case_row, complete, jpeg_with_gps, login, send_report, text


def english(client):
    client.get("/lang/en")


def dispatched(client, agency="health", **report):
    code = send_report(client, **report)
    login(client, "operator")
    complete(client, code, "dispatch", {"action": "dispatch", "agency": agency})
    return code


def test_operator_sees_identity_timeline_deadlines_and_diagram(seeded, client):
    code = send_report(client, email="bich@example.vn")
    login(client, "operator")
    english(client)
    response = client.get(f"/cases/{code}")
    page = text(response)
    assert response.status_code == 200
    assert 'id="reporter-name">Nguyễn Thị Bích<' in page and "0918222333" in page
    assert "bich@example.vn" in page
    assert 'id="case-history"' in page and "Report received" in page
    assert 'id="case-deadlines"' in page and "Receiving and dispatching" in page
    data = json.loads(re.search(r'<script type="application/json" id="diagram-data">(.*?)</script>',
                                page, re.S).group(1))
    assert "<bpmn:definitions" in data["xml"] or "definitions" in data["xml"]
    assert data["marks"].get("dispatch") == "ready"
    assert "/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js" in page
    assert "/static/vendor/bpmn-js/assets/bpmn-js.css" in page


def test_diagram_marks_completed_tasks(seeded, client):
    code = dispatched(client)
    response = client.get(f"/cases/{code}/diagram")
    marks = response.get_json()["marks"]
    assert marks.get("dispatch") == "completed" and marks.get("handle") == "ready"


def test_agency_without_consent_does_not_see_identity(seeded, client):
    code = dispatched(client)
    login(client, "officer.health")
    english(client)
    page = text(client.get(f"/cases/{code}"))
    assert 'id="reporter-hidden"' in page
    assert "Nguyễn Thị Bích" not in page and "0918222333" not in page and "0918 222 333" not in page
    from caseapp.extensions import db
    from caseapp.models import CaseEvent
    assert not db.session.scalar(db.select(CaseEvent.id).where(  # the operator's are recorded too
        CaseEvent.kind == "identity_disclosed", CaseEvent.actor_label == "officer.health"))


def test_agency_with_consent_sees_identity_and_the_disclosure_is_recorded(seeded, client):
    code = dispatched(client, consent_share_identity="y")
    login(client, "officer.health")
    english(client)
    page = text(client.get(f"/cases/{code}"))
    assert 'id="reporter-name">Nguyễn Thị Bích<' in page and "0918222333" in page
    from caseapp.extensions import db
    from caseapp.models import CaseEvent
    events = db.session.scalars(db.select(CaseEvent).where(
        CaseEvent.kind == "identity_disclosed", CaseEvent.actor_label != "operator")).all()
    assert len(events) == 1 and events[0].actor_label == "officer.health"
    task_page = text(client.get(f"/work/items/{_handle_id(code)}"))
    assert "Nguyễn Thị Bích" in task_page


def _handle_id(code):
    from .web import open_item
    return open_item(code, "handle").id


def test_task_page_hides_identity_without_consent(seeded, client):
    code = dispatched(client)
    login(client, "officer.health")
    page = text(client.get(f"/work/items/{_handle_id(code)}"))
    assert 'id="reporter-hidden"' in page and "Nguyễn Thị Bích" not in page


def test_officer_of_another_agency_gets_403(seeded, client):
    code = dispatched(client, photos=[("a.jpg", jpeg_with_gps())])
    photo_id = _photo_ids(code)[0]
    login(client, "officer.police")
    english(client)
    response = client.get(f"/cases/{code}")
    assert response.status_code == 403
    page = text(response)
    assert "You do not have access to this page" in page and "Nguyễn Thị Bích" not in page
    assert client.get(f"/cases/{code}/photos/{photo_id}").status_code == 403
    assert client.get(f"/cases/{code}/diagram").status_code == 403
    assert code not in text(client.get("/cases/"))


def test_previous_agency_keeps_read_access_after_a_return(seeded, client):
    code = dispatched(client, agency="police")
    login(client, "officer.police")
    complete(client, code, "handle", {"action": "return", "return_reason": "Không thuộc thẩm quyền"})
    assert client.get(f"/cases/{code}").status_code == 200
    assert code in text(client.get("/cases/"))


def _photo_ids(code):
    from caseapp.extensions import db
    from caseapp.models import CasePhoto
    return list(db.session.scalars(db.select(CasePhoto.id).where(
        CasePhoto.case_id == case_row(code).id).order_by(CasePhoto.id)))


def test_photos_are_served_to_allowed_staff_only(seeded, client):
    code = dispatched(client, photos=[("a.jpg", jpeg_with_gps())])
    photo_id = _photo_ids(code)[0]
    page = text(client.get(f"/cases/{code}"))
    assert f"/cases/{code}/photos/{photo_id}" in page
    response = client.get(f"/cases/{code}/photos/{photo_id}")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data[:2] == b"\xff\xd8" and b"Exif" not in response.data
    login(client, "officer.health")
    assert client.get(f"/cases/{code}/photos/{photo_id}").status_code == 200
    assert client.get(f"/cases/{code}/photos/{photo_id + 999}").status_code == 404
    client.post("/logout")
    anonymous = client.get(f"/cases/{code}/photos/{photo_id}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_case_list_by_role(seeded, client):
    health = dispatched(client, agency="health")
    police = dispatched(client, agency="police")
    waiting = send_report(client)
    login(client, "operator")
    page = text(client.get("/cases/"))
    assert health in page and police in page and waiting in page
    assert waiting in text(client.get("/cases/", query_string={"q": waiting.lower()}))
    assert health not in text(client.get("/cases/", query_string={"q": waiting}))
    login(client, "officer.health")
    page = text(client.get("/cases/"))
    assert health in page and police not in page and waiting not in page
    login(client, "monitor")
    page = text(client.get("/cases/"))
    assert health in page and police in page
    assert client.get(f"/cases/{health}").status_code == 200
    login(client, "designer")
    english(client)
    page = text(client.get("/cases/"))
    assert 'id="cases-none"' in page and health not in page
    assert client.get(f"/cases/{health}").status_code == 403


def test_unknown_case_is_404(seeded, client):
    login(client, "operator")
    english(client)
    response = client.get("/cases/CM-NOPE-NOPE")
    assert response.status_code == 404 and "Not found" in text(response)
