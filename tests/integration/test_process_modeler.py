"""The modeler's server side: drafts kept per designer, deploy from a draft, XML downloads."""
from pathlib import Path

from caseapp.extensions import db
from caseapp.models import AuditLog, ProcessDraft, ProcessVersion, User

BUNDLED = (Path(__file__).resolve().parents[2] / "bpmn" / "field_report.bpmn").read_text("utf-8")
RENAMED = BUNDLED.replace('name="Tiếp nhận và chuyển xử lý"', 'name="Tiếp nhận, kiểm tra và chuyển"')
# a phase the diagram names without a policy: refused with the problem named
NO_POLICY = BUNDLED.replace("sla_due('return')", "sla_due('late_return')")


def login(client, username):
    response = client.post("/login", data={"username": username, "password": "pw"})
    assert response.status_code == 302


def save(client, xml=BUNDLED, title="Bản nháp", **extra):
    return client.post("/process/drafts", json={"xml": xml, "title": title, **extra})


def versions():
    db.session.expire_all()
    return [(v.version, v.active) for v in db.session.scalars(
        db.select(ProcessVersion).order_by(ProcessVersion.version))]


def make_second_designer():
    db.session.add(User(username="designer2", full_name="Designer Two", role="designer",
                        password_hash=db.session.scalars(db.select(User.password_hash).where(
                            User.username == "designer")).one()))
    db.session.commit()


def test_a_designer_saves_reopens_lists_and_deletes_a_draft(seeded, client):
    login(client, "designer")
    active = db.session.scalars(db.select(ProcessVersion.id)).one()
    created = save(client, based_on=active)
    assert created.status_code == 201
    draft_id = created.get_json()["draft"]["id"]
    # saving again overwrites the same draft; a diagram with problems is still saved
    again = save(client, xml=NO_POLICY, title="  Bản nháp   có lỗi ", draft_id=draft_id)
    assert again.status_code == 200 and again.get_json()["draft"]["title"] == "Bản nháp có lỗi"
    assert db.session.get(ProcessDraft, draft_id).process_id == "field_report"
    listed = client.get("/process/drafts").get_json()["drafts"]
    assert [(d["id"], d["title"], d["based_on_version"]) for d in listed] == \
        [(draft_id, "Bản nháp có lỗi", 1)]
    page = client.get(f"/process/modeler?draft={draft_id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'id="modeler-data"' in body and "late_return" in body and "<script>" not in body
    assert client.post(f"/process/drafts/{draft_id}/delete").status_code == 302
    assert db.session.get(ProcessDraft, draft_id) is None


def test_a_draft_must_be_xml_within_2_mb_and_have_a_title(seeded, client):
    login(client, "designer")
    assert save(client, xml="not xml at all").status_code == 422
    assert save(client, xml="<a>" + "x" * (2 * 1024 * 1024) + "</a>").status_code == 422
    assert save(client, title="   ").status_code == 422
    assert save(client, based_on=999).status_code == 422
    assert save(client, draft_id="1").status_code == 422
    assert db.session.scalar(db.select(db.func.count()).select_from(ProcessDraft)) == 0


def test_drafts_are_their_designers_and_admins_see_all(seeded, client, app):
    make_second_designer()
    login(client, "designer")
    mine = save(client).get_json()["draft"]["id"]
    other = app.test_client()
    login(other, "designer2")
    assert other.get("/process/drafts").get_json()["drafts"] == []
    assert other.get(f"/process/modeler?draft={mine}").status_code == 404
    assert other.get(f"/process/drafts/{mine}/download").status_code == 404
    assert other.post(f"/process/drafts/{mine}/deploy", json={}).status_code == 404
    assert other.post(f"/process/drafts/{mine}/delete").status_code == 404
    assert save(other, draft_id=mine).status_code == 404
    admin = app.test_client()
    login(admin, "admin")
    assert [d["owner"] for d in admin.get("/process/drafts").get_json()["drafts"]] == ["designer"]
    assert admin.get(f"/process/modeler?draft={mine}").status_code == 200
    operator = app.test_client()
    login(operator, "operator")
    assert operator.get("/process/drafts").status_code == 403
    assert operator.get("/process/modeler").status_code == 403


def test_deploy_from_a_draft(seeded, client):
    login(client, "designer")
    unchanged = save(client).get_json()["draft"]["id"]
    response = client.post(f"/process/drafts/{unchanged}/deploy", json={})
    assert response.status_code == 200 and response.get_json()["already_deployed"] is True
    assert versions() == [(1, True)]

    refused = save(client, xml=NO_POLICY).get_json()["draft"]["id"]
    response = client.post(f"/process/drafts/{refused}/deploy", json={"accept_warnings": True})
    assert response.status_code == 422
    problems = response.get_json()["problems"]
    assert problems and all({"severity", "rule", "element_id", "message"} <= set(p) for p in problems)
    assert any("late_return" in p["message"] and p["severity"] == "error" for p in problems)
    assert versions() == [(1, True)]

    renamed = save(client, xml=RENAMED).get_json()["draft"]["id"]
    response = client.post(f"/process/drafts/{renamed}/deploy", json={"accept_warnings": False})
    assert response.status_code == 201 and response.get_json()["version"] == 2
    assert versions() == [(1, False), (2, True)]
    actions = set(db.session.scalars(db.select(AuditLog.action)))
    assert {"process.deploy", "process.deploy_draft"} <= actions
    assert db.session.get(ProcessDraft, renamed) is not None  # the draft stays


def test_download_a_version_and_a_draft(seeded, client):
    login(client, "designer")
    version_id = db.session.scalars(db.select(ProcessVersion.id)).one()
    response = client.get(f"/process/versions/{version_id}/download")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert response.headers["Content-Disposition"] == 'attachment; filename="field_report-v1.bpmn"'
    assert response.get_data(as_text=True) == BUNDLED
    assert client.get("/process/versions/999/download").status_code == 404
    draft_id = save(client, xml=RENAMED).get_json()["draft"]["id"]
    response = client.get(f"/process/drafts/{draft_id}/download")
    assert response.get_data(as_text=True) == RENAMED
    assert f"field_report-draft-{draft_id}.bpmn" in response.headers["Content-Disposition"]


def test_the_modeler_opens_any_version_and_the_process_page_links_to_it(seeded, client):
    login(client, "designer")
    version_id = db.session.scalars(db.select(ProcessVersion.id)).one()
    assert client.get(f"/process/modeler?version={version_id}").status_code == 200
    assert client.get("/process/modeler?version=999").status_code == 404
    assert client.get("/process/modeler?draft=abc").status_code == 404
    body = client.get("/process/").get_data(as_text=True)
    assert 'id="open-modeler"' in body and f"/process/versions/{version_id}/download" in body


def test_an_upload_refused_lists_each_problem_with_its_severity(seeded, client):
    import io
    login(client, "designer")
    response = client.post("/process/deploy", content_type="multipart/form-data",
                           data={"bpmn": (io.BytesIO(NO_POLICY.encode("utf-8")), "p.bpmn")})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'class="problem-error"' in body and "late_return" in body
    assert 'id="accept_warnings"' not in body  # an error remains: nothing to accept


# an end event nothing leads to: a warning only (unreachable), which the designer may accept
ORPHAN = BUNDLED.replace("  </bpmn:process>",
                         '    <bpmn:endEvent id="orphan" name="Mồ côi" />\n  </bpmn:process>')


def test_warnings_may_be_accepted_on_upload_and_from_a_draft(seeded, client):
    import io

    def upload(**extra):
        return client.post("/process/deploy", content_type="multipart/form-data", data={
            "bpmn": (io.BytesIO(ORPHAN.encode("utf-8")), "p.bpmn"), **extra})

    login(client, "designer")
    refused = upload()
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert 'class="problem-warning"' in body and "<code>orphan</code> (Mồ côi)" in body
    assert 'id="accept_warnings"' in body  # only warnings remain: they may be accepted
    assert upload(accept_warnings="y").status_code == 302
    assert versions() == [(1, False), (2, True)]

    draft = save(client, xml=ORPHAN.replace('name="Mồ côi"', 'name="Kết thúc khác"'))
    draft_id = draft.get_json()["draft"]["id"]
    response = client.post(f"/process/drafts/{draft_id}/deploy", json={"accept_warnings": False})
    assert response.status_code == 422
    assert [(p["severity"], p["rule"], p["element_id"]) for p in response.get_json()["problems"]] \
        == [("warning", "unreachable", "orphan")]
    response = client.post(f"/process/drafts/{draft_id}/deploy", json={"accept_warnings": True})
    assert response.status_code == 201 and response.get_json()["version"] == 3
