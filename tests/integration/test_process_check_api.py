"""The modeler's JSON endpoints: the live check of a draft and the diffs (designers and admins)."""
from __future__ import annotations

from caseapp.services.administration.processes import deploy_bpmn
from tests.diagram_edits import BUNDLED, Cq, by_id, root_of, set_timer, text


def sign_in(client, username="designer"):
    client.post("/login", data={"username": username, "password": "pw"})


def without_queue():
    root = root_of()
    by_id(root, "handle").set(Cq("candidateGroups"), "nobody")
    return text(root)


def test_the_check_lists_problems_by_element(seeded, client):
    sign_in(client)
    response = client.post("/process/check", json={"xml": BUNDLED})
    assert response.status_code == 200
    assert response.get_json() == {"problems": [], "errors": 0, "warnings": 0, "deployable": True}

    root = root_of(without_queue())
    set_timer(root, "publish_deadline", "sla_due('site_visit')")
    body = client.post("/process/check", json={"xml": text(root)},
                       headers={"Accept": "application/json"}).get_json()
    assert body["errors"] == 2 and body["warnings"] == 0 and body["deployable"] is False
    by_rule = {p["rule"]: p for p in body["problems"]}
    assert by_rule["queue"]["element_id"] == "handle"
    assert by_rule["queue"]["element_name"] == "Xử lý phản ánh"
    assert by_rule["queue"]["severity"] == "error"
    assert by_rule["sla_policy"]["element_id"] == "publish_deadline"
    assert by_rule["sla_policy"]["title"] == "Giai đoạn chưa có quy định thời hạn"  # Vietnamese first
    english = client.post("/process/check?lang=en", json={"xml": text(root)}).get_json()
    assert {p["title"] for p in english["problems"]} == {"User task without a queue",
                                                        "Phase without an SLA policy"}


def test_the_check_refuses_what_is_not_a_diagram_in_json(seeded, client):
    sign_in(client)
    assert client.post("/process/check", data="not json",
                       content_type="application/json").status_code == 422
    assert client.post("/process/check", json=["xml"]).status_code == 422
    response = client.post("/process/check", json={"xml": 5})
    assert response.status_code == 422 and response.get_json()["error"]["fields"]["xml"]
    broken = client.post("/process/check", json={"xml": "<bpmn:definitions"}).get_json()
    assert broken["deployable"] is False and broken["problems"][0]["rule"] == "parse"
    huge = "<!--" + "x" * (2 * 1024 * 1024) + "-->"
    response = client.post("/process/check", json={"xml": BUNDLED + huge})
    assert response.status_code == 413 and "2 MB" in response.get_json()["error"]["message"]


def test_only_designers_and_admins_check(seeded, client):
    sign_in(client, "operator")
    assert client.post("/process/check", json={"xml": BUNDLED}).status_code == 403
    assert client.post("/process/diff", json={"xml": BUNDLED}).status_code == 403
    client.post("/logout")
    assert client.post("/process/check", json={"xml": BUNDLED}).status_code in (302, 401)
    sign_in(client, "admin")
    assert client.post("/process/check", json={"xml": BUNDLED}).status_code == 200


def test_the_check_needs_the_csrf_token(seeded, client):
    sign_in(client)
    seeded.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/process/check", json={"xml": BUNDLED},
                               headers={"Accept": "application/json"})
    finally:
        seeded.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "csrf"


def test_a_draft_diffed_against_the_active_version_and_a_version_diffed(seeded, client):
    sign_in(client)
    active = client.post("/process/diff", json={"xml": BUNDLED}).get_json()
    assert (active["added"], active["removed"], active["changed"]) == ([], [], [])
    first = active["against"]
    assert first["version"] == 1

    root = root_of()
    set_timer(root, "handle_deadline", "sla_due('return')")
    by_id(root, "dispatch").set("name", "Tiếp nhận")
    draft = text(root)
    body = client.post("/process/diff", json={"xml": draft}).get_json()
    changed = {c["id"]: {x["what"] for x in c["changes"]} for c in body["changed"]}
    assert changed == {"handle_deadline": {"timer"}, "dispatch": {"name"}}

    version, _ = deploy_bpmn(draft)
    back = client.post("/process/diff", json={"xml": BUNDLED, "against": first["id"]}).get_json()
    assert back["against"]["id"] == first["id"] and back["changed"] == []
    assert client.post("/process/diff", json={"xml": BUNDLED, "against": "x"}).status_code == 422
    assert client.post("/process/diff", json={"xml": BUNDLED, "against": 99999}).status_code == 404
    assert client.post("/process/diff", json={"xml": "<oops"}).status_code == 422

    old = client.get(f"/process/versions/{first['id']}/diff").get_json()  # against the active v2
    assert old["against"]["id"] == version.id
    assert {c["id"] for c in old["changed"]} == {"handle_deadline", "dispatch"}
    assert client.get(f"/process/versions/{version.id}/diff").get_json()["changed"] == []
    assert client.get("/process/versions/99999/diff").status_code == 404
