"""Open311 GeoReport v2 at /open311/v2: the spec's shapes in XML and JSON, filters and limits,
API keys (admin screen and CLI), and that a posted report is an ordinary report."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from freezegun import freeze_time
from lxml import etree

from caseapp.extensions import db
from caseapp.models import AuditLog, Case, Open311Key

from .helpers import Api
from .web import login

ROOT = "/open311/v2"
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords",
                  "group"]
REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code",
                  "description", "agency_responsible", "service_notice", "requested_datetime",
                  "updated_datetime", "expected_datetime", "address", "address_id", "zipcode",
                  "lat", "long", "media_url"]
REPORTER = {"first_name": "Văn An", "last_name": "Nguyễn", "phone": "0912 345 678",
            "email": "an.nguyen@example.vn"}
POST = {"service_code": "disaster", "lat": "9.18", "long": "105.15",
        "description": "Sạt lở bờ kè đường Nguyễn Tất Thành, nguy hiểm", **REPORTER}
IDENTITY = ["Nguyễn Văn An", "Văn An", "0912345678", "0912 345 678", "an.nguyen@example.vn"]
NOW = "2026-12-02 03:00:00"  # 10:00 in Cà Mau, a Wednesday


def xml(response):
    assert response.content_type == "text/xml; charset=utf-8", response.content_type
    assert response.data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    return etree.fromstring(response.data)


def body(response):
    assert response.content_type == "application/json; charset=utf-8", response.content_type
    return json.loads(response.data.decode("utf-8"))


def error_descriptions(response, status: int, fmt: str) -> list[str]:
    """The spec's error list, checked for its shape; the descriptions."""
    assert response.status_code == status, response.data
    if fmt == "xml":
        root = xml(response)
        assert root.tag == "errors" and len(root) >= 1
        assert all([child.tag for child in error] == ["code", "description"] for error in root)
        assert {error.findtext("code") for error in root} == {str(status)}
        return [error.findtext("description") for error in root]
    errors = body(response)
    assert isinstance(errors, list) and errors
    assert all(set(error) == {"code", "description"} and error["code"] == status
               for error in errors)
    return [error["description"] for error in errors]


@pytest.fixture
def api_key(seeded):
    from caseapp.services.open311.keys import issue_key
    return issue_key(None, "Ứng dụng 311 thử nghiệm")[1]


def post(client, key, fmt="xml", **overrides):
    data = {**POST, "api_key": key, **overrides}
    return client.post(f"{ROOT}/requests.{fmt}", data={k: v for k, v in data.items() if v is not None})


def posted_id(response) -> int:
    assert response.status_code == 201, response.data
    if response.content_type.startswith("text/xml"):
        return int(xml(response).findtext("request/service_request_id"))
    return body(response)[0]["service_request_id"]


# ---------------------------------------------------------------- services and discovery

def test_services_in_xml_and_json_follow_the_spec(seeded, client):
    root = xml(client.get(f"{ROOT}/services.xml"))
    assert root.tag == "services"
    services = {s.findtext("service_code"): s for s in root}
    assert all([child.tag for child in s] == SERVICE_FIELDS for s in root)
    disaster = services["disaster"]
    assert disaster.findtext("service_name") == "Thiên tai"
    assert disaster.findtext("description") == "Natural disasters"
    assert disaster.findtext("metadata") == "false" and disaster.findtext("type") == "realtime"
    assert disaster.findtext("group") == services["weather"].findtext("group")

    listed = body(client.get(f"{ROOT}/services.json"))
    assert [s["service_code"] for s in listed] == list(services)
    assert all(list(s) == SERVICE_FIELDS for s in listed)
    assert listed[[s["service_code"] for s in listed].index("disaster")]["metadata"] is False

    definition = xml(client.get(f"{ROOT}/services/disaster.xml"))
    assert definition.tag == "service_definition"
    assert definition.findtext("service_code") == "disaster"
    assert body(client.get(f"{ROOT}/services/disaster.json")) == {"service_code": "disaster",
                                                                  "attributes": []}
    for fmt in ("xml", "json"):
        assert "nope" in error_descriptions(client.get(f"{ROOT}/services/nope.{fmt}"), 404, fmt)[0]


def test_discovery_lists_this_endpoint_and_its_formats(seeded, client):
    root = xml(client.get(f"{ROOT}/discovery.xml"))
    assert [child.tag for child in root] == ["changeset", "contact", "key_service", "endpoints"]
    endpoint = root.find("endpoints/endpoint")
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint.findtext("url") == "http://localhost/open311/v2"
    assert [f.text for f in endpoint.find("formats")] == ["text/xml", "application/json"]
    assert body(client.get(f"{ROOT}/discovery.json"))["endpoints"][0]["type"] == "production"


def test_jurisdiction_unknown_format_and_unknown_paths(seeded, client):
    assert client.get(f"{ROOT}/services.xml?jurisdiction_id=camau.gov.vn").status_code == 200
    for fmt in ("xml", "json"):
        problems = error_descriptions(
            client.get(f"{ROOT}/requests.{fmt}?jurisdiction_id=hanoi.gov.vn"), 404, fmt)
        assert "jurisdiction_id" in problems[0]
    assert "format" in error_descriptions(client.get(f"{ROOT}/services.csv"), 404, "xml")[0]
    error_descriptions(client.get(f"{ROOT}/nothing/here.json"), 404, "json")
    error_descriptions(client.get(f"{ROOT}/nothing/here"), 404, "xml")


def test_errors_raised_before_the_views_keep_the_specs_format(seeded, client):
    """An unknown method and control characters fail before routing reaches a view."""
    for fmt in ("xml", "json"):
        error_descriptions(client.put(f"{ROOT}/requests.{fmt}"), 405, fmt)
        assert error_descriptions(
            client.get(f"{ROOT}/requests.{fmt}?service_code=a%00b"), 400, fmt)[0]
    # elsewhere the usual shapes stay
    assert client.put("/api/v1/reports").get_json()["error"]["code"] == "method_not_allowed"


# ---------------------------------------------------------------- posting a report

def test_a_posted_report_is_an_ordinary_report_in_the_operator_queue(seeded, client, api_key):
    with freeze_time(NOW):
        response = post(client, api_key, account_id="acc-7")
        root = xml(response)
        assert root.tag == "service_requests"
        request = root.find("request")
        assert [child.tag for child in request] == ["service_request_id", "token",
                                                    "service_notice", "account_id"]
        assert request.findtext("account_id") == "acc-7"
        case = db.session.get(Case, int(request.findtext("service_request_id")))
        assert request.findtext("token") == case.tracking_code
        assert response.headers["Location"] == f"{ROOT}/requests/{case.id}.xml"

        api = Api(client)
        item = api.item_for("operator", case.tracking_code, "dispatch")
        assert item["due_at"] is not None and item["category"] == "disaster"
        staff = api.call("GET", f"/api/v1/cases/{case.tracking_code}", "operator").get_json()
        assert staff["reporter"]["full_name"] == "Nguyễn Văn An"
        assert staff["reporter"]["phone"] == "0912345678"
        assert (staff["lat"], staff["lon"]) == (9.18, 105.15)

        read = body(client.get(f"{ROOT}/requests/{case.id}.json"))
        assert len(read) == 1 and list(read[0]) == REQUEST_FIELDS
        due = datetime.fromisoformat(item["due_at"])
        assert read[0]["expected_datetime"] == due.astimezone(
            timezone(timedelta(hours=7))).isoformat(timespec="seconds")
        assert read[0]["expected_datetime"].endswith("+07:00")
        assert read[0]["requested_datetime"] == "2026-12-02T10:00:00+07:00"


def test_post_needs_a_valid_key_and_says_what_is_missing(seeded, client, api_key):
    for fmt in ("xml", "json"):
        assert "api_key" in error_descriptions(post(client, None, fmt), 403, fmt)[0]
        assert "api_key" in error_descriptions(post(client, "o311_guessed", fmt), 403, fmt)[0]
    problems = error_descriptions(post(client, api_key, "json", first_name="", last_name="",
                                       phone="", lat="", long=""), 400, "json")
    assert any(p.startswith("first_name, last_name: required") for p in problems)
    assert any(p.startswith("phone: required") for p in problems)
    assert any(p.startswith("lat: a location is required") for p in problems)
    problems = error_descriptions(post(client, api_key, "xml", service_code="nope",
                                       phone="12345", long="999"), 400, "xml")
    assert "service_code: unknown category" in problems
    assert "phone: not a Vietnamese phone number" in problems
    assert any(p.startswith("long: must be between") for p in problems)
    problems = error_descriptions(post(client, api_key, "json", lat="", long="",
                                       address_id="545483"), 400, "json")
    assert any(p.startswith("address_id: not supported") for p in problems)
    assert db.session.scalar(db.select(db.func.count(Case.id))) == 0  # nothing half-stored

    by_address = post(client, api_key, "json", lat=None, long=None,
                      address_string="Phường 8, TP Cà Mau",
                      media_url="https://example.vn/anh/1.jpg")
    case = db.session.get(Case, posted_id(by_address))
    assert case.address == "Phường 8, TP Cà Mau" and case.lat is None
    assert case.description.endswith("https://example.vn/anh/1.jpg")
    assert "media_url" in error_descriptions(
        post(client, api_key, "json", media_url="javascript:alert(1)"), 400, "json")[0]
    in_damdoi = db.session.get(Case, posted_id(post(client, api_key, "json", district="damdoi")))
    assert in_damdoi.district.code == "damdoi"  # the report form's optional district, as an extension
    assert "district: unknown district" in error_descriptions(
        post(client, api_key, "json", district="atlantis"), 400, "json")


def test_post_is_idempotent_per_key(seeded, client, api_key):
    headers = {"Idempotency-Key": "retry-1"}
    data = {**POST, "api_key": api_key}
    first = client.post(f"{ROOT}/requests.json", data=data, headers=headers)
    again = client.post(f"{ROOT}/requests.json", data=data, headers=headers)
    assert posted_id(first) == posted_id(again)
    assert again.headers["Idempotent-Replayed"] == "true"
    other = client.post(f"{ROOT}/requests.json", data={**data, "description": "Một phản ánh khác hẳn"},
                        headers=headers)
    assert "already used" in error_descriptions(other, 400, "json")[0]
    assert db.session.scalar(db.select(db.func.count(Case.id))) == 1


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_post_has_the_report_forms_rate_limit(seeded, sqlite_url, api_key):
    from caseapp import create_app
    from caseapp.extensions import limiter
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": sqlite_url, "REDIS_URL": None,
                      "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                      "SECRET_KEY": "test-secret"})
    try:
        client = app.test_client()
        responses = [client.post(f"{ROOT}/requests.json", data={"api_key": api_key})
                     for _ in range(61)]
    finally:
        limiter.reset()
        limiter.enabled = False
    assert [r.status_code for r in responses[:60]] == [400] * 60
    assert error_descriptions(responses[60], 429, "json")


# ---------------------------------------------------------------- reading requests

def test_identity_is_never_returned(seeded, client, api_key):
    request_id = posted_id(post(client, api_key, "xml"))
    code = db.session.get(Case, request_id).tracking_code
    outputs = [post(client, api_key, "json", description="Cây đổ chắn ngang đường số 3")]
    for fmt in ("xml", "json"):
        outputs += [client.get(f"{ROOT}/requests.{fmt}"),
                    client.get(f"{ROOT}/requests/{request_id}.{fmt}"),
                    client.get(f"{ROOT}/tokens/{code}.{fmt}"),
                    client.get(f"{ROOT}/requests.{fmt}?lang=en")]
    for response in outputs:
        assert response.status_code in (200, 201)
        text = response.data.decode("utf-8")
        for secret in IDENTITY:
            assert secret not in text, (response.request.path, secret)


def test_tokens_map_a_tracking_code_to_its_request(seeded, client, api_key):
    request_id = posted_id(post(client, api_key))
    code = db.session.get(Case, request_id).tracking_code
    root = xml(client.get(f"{ROOT}/tokens/{code}.xml"))
    assert root.tag == "service_requests"
    assert [c.tag for c in root.find("request")] == ["service_request_id", "token"]
    assert root.findtext("request/service_request_id") == str(request_id)
    assert body(client.get(f"{ROOT}/tokens/{code.lower()}.json")) == [
        {"service_request_id": request_id, "token": code}]
    error_descriptions(client.get(f"{ROOT}/tokens/CM-0000-0000.json"), 404, "json")
    error_descriptions(client.get(f"{ROOT}/requests/99999.xml"), 404, "xml")
    error_descriptions(client.get(f"{ROOT}/requests/abc.json"), 404, "json")
    error_descriptions(client.get(f"{ROOT}/requests/²³.json"), 404, "json")
    error_descriptions(client.get(f"{ROOT}/requests.json?service_request_id=١٢"), 400, "json")


def test_requests_filters_default_window_and_status(seeded, client, api_key):
    api = Api(client)
    with freeze_time("2026-08-01 03:00:00") as clock:  # 123 days before NOW
        old = posted_id(post(client, api_key, "json"))
        clock.move_to("2026-11-22 03:00:00")
        rejected = posted_id(post(client, api_key, "json", service_code="health",
                                  description="Quảng cáo thuốc không rõ nguồn gốc"))
        code = db.session.get(Case, rejected).tracking_code
        api.complete("operator", code, "dispatch", {"action": "reject", "reject_reason": "spam"})
        clock.move_to(NOW)
        handled = posted_id(post(client, api_key, "json"))
        code = db.session.get(Case, handled).tracking_code
        api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": "police"})

        def ids(query: str, fmt: str = "json") -> list[int]:
            response = client.get(f"{ROOT}/requests.{fmt}?{query}")
            assert response.status_code == 200, response.data
            if fmt == "xml":
                return [int(r.findtext("service_request_id")) for r in xml(response)]
            return [r["service_request_id"] for r in body(response)]

        assert ids("") == [handled, rejected]  # the last 90 days, newest first
        assert ids("", "xml") == [handled, rejected]
        assert ids("start_date=2026-07-30T00:00:00%2B07:00&end_date=2026-08-02T00:00:00Z") == [old]
        assert ids("start_date=2026-11-01T00:00:00Z") == [handled, rejected]
        assert ids("end_date=2026-09-01") == [old]
        assert ids("status=open") == [handled]
        assert ids("status=closed") == [rejected]
        assert ids("status=open,closed&service_code=health") == [rejected]
        assert ids("service_code=disaster,weather") == [handled]
        assert ids(f"service_request_id={old},{rejected}&status=open") == [rejected, old]

        closed = body(client.get(f"{ROOT}/requests/{rejected}.json"))[0]
        assert closed["status"] == "closed" and closed["description"] is None
        assert closed["status_notes"].startswith("Không tiếp nhận")
        assert closed["expected_datetime"] is None
        handling = body(client.get(f"{ROOT}/requests/{handled}.json"))[0]
        assert handling["status_notes"] == "Cơ quan đang xử lý"  # the case page's phase label
        assert handling["agency_responsible"] == "Công an tỉnh Cà Mau"
        english = body(client.get(f"{ROOT}/requests/{handled}.json?lang=en"))[0]
        assert english["status_notes"] == "Being handled by the agency"
        assert english["service_name"] == "Thiên tai"  # service names stay Vietnamese

        for query, name in [("start_date=2026-01-01T00:00:00Z&end_date=2026-12-01T00:00:00Z",
                             "90 days"), ("start_date=yesterday", "start_date"),
                            ("status=pending", "status"),
                            ("end_date=0001-01-01T00:00:00Z", "start_date"),
                            ("end_date=2026-11-01T00:00:00Z&start_date=2026-11-02T00:00:00Z",
                             "before"), ("service_request_id=1,x", "service_request_id")]:
            for fmt in ("xml", "json"):
                assert name in error_descriptions(
                    client.get(f"{ROOT}/requests.{fmt}?{query}"), 400, fmt)[0]


def test_an_offset_sent_unencoded_in_the_query_is_still_read(seeded, client, api_key):
    """start_date=2026-12-02T09:00:00+07:00 typed into a URL arrives with a space for the "+"."""
    with freeze_time(NOW):
        request_id = posted_id(post(client, api_key, "json"))
        for fmt in ("json", "xml"):
            response = client.get(f"{ROOT}/requests.{fmt}?start_date=2026-12-02T09:00:00+07:00"
                                  "&end_date=2026-12-02T11:00:00+07:00")
            assert response.status_code == 200, response.data
            found = ([int(r.findtext("service_request_id")) for r in xml(response)]
                     if fmt == "xml" else [r["service_request_id"] for r in body(response)])
            assert found == [request_id]
        assert body(client.get(f"{ROOT}/requests.json?start_date=2026-12-02T10:30:00+07:00"
                               "&end_date=2026-12-02T11:00:00+07:00")) == []


def test_a_late_report_keeps_its_steps_passed_deadline_as_expected_datetime(seeded, client,
                                                                            api_key):
    """expected_datetime is the current step's deadline: once it passes (the report is late) it
    stays that passed time, never empty; the return window beside it is not the step's."""
    from caseapp.models import Deadline
    from caseapp.services.cases.deadlines import sweep
    api = Api(client)
    with freeze_time(NOW) as clock:
        request_id = posted_id(post(client, api_key, "json"))
        code = db.session.get(Case, request_id).tracking_code
        api.complete("operator", code, "dispatch", {"action": "dispatch", "agency": "police"})
        handle_due = db.session.scalars(db.select(Deadline.due_at).where(
            Deadline.case_id == request_id, Deadline.phase == "handle")).one()
        expected = handle_due.astimezone(timezone(timedelta(hours=7))).isoformat(
            timespec="seconds")
        assert body(client.get(f"{ROOT}/requests/{request_id}.json"))[0][
            "expected_datetime"] == expected
        clock.move_to(handle_due + timedelta(minutes=5))
        assert sweep() >= 1  # the handling deadline (and the return window) passed
        late = body(client.get(f"{ROOT}/requests/{request_id}.json"))[0]
        assert late["status"] == "open" and late["expected_datetime"] == expected
        assert xml(client.get(f"{ROOT}/requests/{request_id}.xml")).findtext(
            "request/expected_datetime") == expected
        assert [r["expected_datetime"] for r in body(client.get(
            f"{ROOT}/requests.json?service_request_id={request_id}"))] == [expected]


def test_requests_are_limited_to_the_newest(seeded, client, api_key, monkeypatch):
    from caseapp.services.open311 import service_requests
    assert service_requests.LIMIT == 1000  # the spec's limit
    monkeypatch.setattr(service_requests, "LIMIT", 2)
    with freeze_time(NOW) as clock:
        made = []
        for _ in range(3):
            made.append(posted_id(post(client, api_key, "json")))
            clock.tick(60)
        assert [r["service_request_id"] for r in body(client.get(f"{ROOT}/requests.json"))] \
            == made[:0:-1]


def test_service_notice_is_the_active_announcement(seeded, client, api_key, users):
    from caseapp.services.announcements import publish_announcement
    with freeze_time(NOW) as clock:
        request_id = posted_id(post(client, api_key, "json"))
        assert body(client.get(f"{ROOT}/requests/{request_id}.json"))[0]["service_notice"] is None
        now = datetime.now(timezone.utc)
        publish_announcement(users["supervisor"], {
            "title": "Bão số 9", "text": "Người dân khu vực ven biển di dời đến nơi an toàn.",
            "area": "Huyện Năm Căn", "starts_at": now, "ends_at": now + timedelta(hours=6)})
        notice = body(client.get(f"{ROOT}/requests/{request_id}.json"))[0]["service_notice"]
        assert notice.startswith("Bão số 9") and "Năm Căn" in notice
        assert xml(post(client, api_key)).findtext("request/service_notice") == notice
        clock.tick(7 * 3600)
        assert body(client.get(f"{ROOT}/requests/{request_id}.json"))[0]["service_notice"] is None


# ---------------------------------------------------------------- keys

def test_admins_issue_and_revoke_keys_on_their_screen(seeded, client):
    login(client, "operator")
    assert client.get("/admin/open311-keys").status_code == 403
    login(client, "admin")
    assert "/admin/open311-keys" in client.get("/admin/").get_data(as_text=True)
    page = client.post("/admin/open311-keys", data={"name": "Tổng đài 1022"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    start = html.index('id="open311-key-value">') + len('id="open311-key-value">')
    key = html[start:html.index("</code>", start)]
    assert key.startswith("o311_") and len(key) > 40
    row = db.session.scalars(db.select(Open311Key)).one()
    assert row.key_hash != key and key not in row.key_hash and row.created_by_id is not None
    assert key not in client.get("/admin/open311-keys").get_data(as_text=True)  # shown once
    assert client.post("/admin/open311-keys", data={"name": "Tổng đài 1022"}).status_code == 422
    assert client.post("/admin/open311-keys", data={"name": " "}).status_code == 422

    assert post(client, key).status_code == 201
    response = client.post(f"/admin/open311-keys/{row.id}/revoke")
    assert response.status_code == 302
    assert "api_key" in error_descriptions(post(client, key), 403, "xml")[0]
    actions = [(a.action, a.actor_label, a.target) for a in db.session.scalars(
        db.select(AuditLog).where(AuditLog.action.like("open311_key%")).order_by(AuditLog.id))]
    assert actions == [("open311_key.create", "admin", "Tổng đài 1022"),
                       ("open311_key.revoke", "admin", "Tổng đài 1022")]
    assert "Tổng đài 1022" in client.get("/admin/audit?action=open311_key").get_data(as_text=True)


def test_the_cli_issues_lists_and_revokes_keys(seeded, client):
    runner = seeded.test_cli_runner()
    created = runner.invoke(args=["open311", "key", "create", "Ứng dụng Zalo"])
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    assert key.startswith("o311_")
    second = runner.invoke(args=["open311", "key", "create", "Hệ thống 1022", "--by", "admin"])
    other_key = second.output.strip().splitlines()[-1]
    assert runner.invoke(args=["open311", "key", "create", "Ứng dụng Zalo"]).exit_code == 2

    listed = runner.invoke(args=["open311", "key", "list"]).output
    assert "Ứng dụng Zalo\tactive" in listed and "by admin" in listed and key not in listed
    assert post(client, key).status_code == 201

    assert runner.invoke(args=["open311", "key", "revoke", "Ứng dụng Zalo"]).exit_code == 0
    other_id = db.session.scalars(db.select(Open311Key.id).where(
        Open311Key.name == "Hệ thống 1022")).one()
    assert runner.invoke(args=["open311", "key", "revoke", str(other_id)]).exit_code == 0
    assert runner.invoke(args=["open311", "key", "revoke", "no such key"]).exit_code == 2
    for revoked in (key, other_key):
        assert post(client, revoked).status_code == 403
    assert "revoked" in runner.invoke(args=["open311", "key", "list"]).output
    actions = [(a.action, a.actor_label) for a in db.session.scalars(
        db.select(AuditLog).where(AuditLog.action.like("open311_key%")).order_by(AuditLog.id))]
    assert actions == [("open311_key.create", "system"), ("open311_key.create", "admin"),
                       ("open311_key.revoke", "system"), ("open311_key.revoke", "system")]


# ---------------------------------------------------------------- a client library from PyPI

@pytest.fixture
def live_url(seeded):
    """The test's app served over HTTP in a thread, as the browser tests serve it."""
    import threading
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, seeded, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="open311-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}{ROOT}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_the_georeport_client_library_reads_what_is_posted(live_url, api_key, fmt):
    """`georeport` (PyPI) reads services and requests; it cannot post, so the POST goes through
    `requests`, the HTTP library it is built on."""
    import requests
    from georeport import GeoReport
    posted = requests.post(f"{live_url}/requests.{fmt}", data={**POST, "api_key": api_key},
                           timeout=30)
    assert posted.status_code == 201, posted.text
    client = GeoReport(live_url, jurisdiction="camau.gov.vn", output_format=fmt)

    services = client.get_service_list()
    assert {s["service_code"]: s["service_name"] for s in services}["disaster"] == "Thiên tai"
    assert client.get_service_definition("disaster")["service_code"] == "disaster"

    found = client.get_service_requests(service_code="disaster", status="open")
    found = found if isinstance(found, list) else [found]  # XML: one request is not a list
    assert len(found) == 1 and found[0]["service_code"] == "disaster"
    request_id = str(found[0]["service_request_id"])
    one = client.get_service_request(request_id)
    assert one["status"] == "open" and one["expected_datetime"].endswith("+07:00")
    assert not any(secret in json.dumps(one, ensure_ascii=False) for secret in IDENTITY)
    with pytest.raises(requests.HTTPError):
        GeoReport(live_url, jurisdiction="hanoi.gov.vn", output_format=fmt).get_service_list()
