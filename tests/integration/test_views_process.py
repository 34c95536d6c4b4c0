"""Process designers: see the deployed versions and the diagram, deploy a validated new version."""
import io
from pathlib import Path

from caseapp.extensions import db
from caseapp.models import AuditLog, ProcessVersion

BUNDLED = (Path(__file__).resolve().parents[2] / "bpmn" / "field_report.bpmn").read_text("utf-8")


def login(client, username):
    response = client.post("/login", data={"username": username, "password": "pw"})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def upload(client, text):
    return client.post("/process/deploy", data={"bpmn": (io.BytesIO(text.encode("utf-8")), "p.bpmn")},
                       content_type="multipart/form-data")


def test_designer_lands_on_the_process_page(seeded, client):
    response = client.post("/login", data={"username": "designer", "password": "pw"})
    assert response.headers["Location"].endswith("/process/")
    page = client.get("/process/")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "field_report v1" in body and 'id="bpmn-canvas"' in body and "bpmn:process" in body


def test_other_roles_are_refused(seeded, client):
    login(client, "operator")
    assert client.get("/process/").status_code == 403
    assert upload(client, BUNDLED).status_code == 403


def test_deploy_a_changed_diagram_makes_a_new_version(seeded, client):
    login(client, "designer")
    changed = BUNDLED.replace('name="Tiếp nhận và chuyển xử lý"', 'name="Tiếp nhận, kiểm tra và chuyển xử lý"')
    assert changed != BUNDLED
    response = upload(client, changed)
    assert response.status_code == 302
    versions = db.session.scalars(db.select(ProcessVersion).order_by(ProcessVersion.version)).all()
    assert [(v.version, v.active) for v in versions] == [(1, False), (2, True)]
    assert db.session.scalars(db.select(AuditLog).where(AuditLog.action == "process.deploy")).all()
    # the same file again is not a new version
    assert upload(client, changed).status_code == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(ProcessVersion)) == 2


def test_a_diagram_that_escapes_the_sandbox_is_refused(seeded, client):
    login(client, "designer")
    bad = BUNDLED.replace("notify('agency_leader', reason='urgent', agency=agency)",
                          "__import__('os').system('true')")
    response = upload(client, bad)
    assert response.status_code == 422
    assert 'id="deploy-error"' in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(ProcessVersion)) == 1
    garbage = upload(client, "<not-bpmn/>")
    assert garbage.status_code == 422


def test_the_shipped_diagram_speaks_vietnamese_and_keeps_english(seeded):
    from caseapp.services.administration.processes import active_version, diagram_labels, element_label
    labels = diagram_labels(BUNDLED)
    assert labels["dispatch"] == ("Tiếp nhận và chuyển xử lý", "Receive and dispatch")
    assert labels["handle"] == ("Xử lý phản ánh", "Handle report")
    assert labels["publish"] == ("Trả lời người phản ánh", "Respond to reporter")
    assert labels["flow_reject"] == ("từ chối", "reject")
    assert labels["Portal"][0] == "Portal"  # lanes route the queues by name
    version = active_version()
    assert element_label(version.id, "handle", "vi") == "Xử lý phản ánh"
    assert element_label(version.id, "handle", "en") == "Handle report"
    assert element_label(version.id, "nope", "en", default="x") == "x"
