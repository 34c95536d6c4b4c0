"""Bad input never gives a 500: odd JSON, control and invisible characters, reused idempotency
keys, identical diagrams, oversized photos (SQLite and PostgreSQL, API and web)."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from caseapp.extensions import db
from caseapp.models import Case, ProcessVersion

from .helpers import REPORT, Api
from .test_views_i18n import compiled_catalogues  # noqa: F401  (autouse: fresh .mo files)
from .web import REPORT_FORM, case_row, complete, login, open_item, send_report, text

BUNDLED = (Path(__file__).resolve().parents[2] / "bpmn" / "field_report.bpmn").read_text("utf-8")


def post_raw(client, path, body: str, **kwargs):
    """Send JSON text exactly as written (escapes such as \\ud800 reach the server unchanged)."""
    return client.post(path, data=body.encode("utf-8"), content_type="application/json", **kwargs)


def error_of(response, status):
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_json()["error"]


def case_count() -> int:
    db.session.expire_all()
    return db.session.scalar(db.select(db.func.count(Case.id)))


# -- JSON bodies ------------------------------------------------------------------------------

def test_lone_surrogates_in_json_are_refused(seeded, client):
    body = json.dumps({**REPORT, "full_name": "PLACEHOLDER"}).replace("PLACEHOLDER", "\\ud800")
    error = error_of(post_raw(client, "/api/v1/reports", body), 422)
    assert list(error["fields"]) == ["full_name"]
    nested = '{"username": "operator", "password": ["x", {"y": "\\udfff"}]}'
    assert list(error_of(post_raw(client, "/api/v1/tokens", nested), 422)["fields"]) == ["password"]
    in_key = json.dumps(REPORT)[:-1] + ', "\\ud83d": 1}'
    assert list(error_of(post_raw(client, "/api/v1/reports", in_key), 422)["fields"]) == ["body"]
    assert case_count() == 0


def test_deeply_nested_json_is_refused(seeded, client):
    bomb = "[" * 100_000 + "]" * 100_000
    assert "JSON" in error_of(post_raw(client, "/api/v1/reports", bomb), 422)["message"]
    deep = json.dumps({**REPORT, "address": [[[[[[[[[[[[[[[[[[[[["x"]]]]]]]]]]]]]]]]]]]]]})
    assert error_of(post_raw(client, "/api/v1/reports", deep), 422)["fields"] == {
        "address": ["nested deeper than 20 levels"]}
    assert case_count() == 0


@pytest.mark.parametrize("field", ["full_name", "description", "address", "email", "phone",
                                   "category"])
def test_nul_in_any_report_field_is_refused(seeded, client, field):
    response = client.post("/api/v1/reports", json={**REPORT, field: REPORT[field] + "\x00"})
    assert field in error_of(response, 422)["fields"]
    assert case_count() == 0


def test_nul_in_login_is_refused(seeded, client):
    error_of(client.post("/api/v1/tokens", json={"username": "operator\x00", "password": "pw"}),
             422)
    response = client.post("/login", data={"username": "operator\x00", "password": "pw"})
    assert response.status_code == 400 and 'id="error"' in text(response)


def test_nul_in_task_forms_is_refused(seeded, client):
    api = Api(client)
    code = api.submit()
    api.complete("operator", code, "dispatch",
                 {"action": "dispatch", "agency": "police\x00"}, expect=422)
    api.complete("operator", code, "dispatch",
                 {"action": "dispatch", "agency": "police", "note": "a\x00b"}, expect=422)
    login(client, "operator")
    item = open_item(code, "dispatch")
    response = client.post(f"/work/items/{item.id}",
                           data={"action": "dispatch", "agency": "police", "note": "a\x00b"})
    assert response.status_code == 400
    assert open_item(code, "dispatch").id == item.id  # nothing was done


# -- paths and query strings ------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/track/ABC%0A", "/track/ABC%00", "/track?code=AB%00C",
                                  "/track?code=AB%0AC", "/report?category=%00"])
def test_control_characters_in_public_addresses_are_refused(seeded, client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert 'id="error"' in text(response) and "ký tự điều khiển" in text(response)


@pytest.mark.parametrize("path", ["/api/v1/reports/CM%00", "/api/v1/reports/CM%0A",
                                  "/api/v1/work-items?category=%00",
                                  "/api/v1/work-items?task=a%0Ab"])
def test_control_characters_in_api_addresses_are_refused(seeded, client, path):
    api = Api(client)
    assert error_of(api.call("GET", path, "operator"), 400)["code"] == "bad_request"


def test_out_of_range_pages_are_refused(seeded, client):
    api = Api(client)
    for page in ("99999999999999999999999", "-1"):
        response = api.call("GET", f"/api/v1/work-items?page={page}", "operator")
        assert list(error_of(response, 422)["fields"]) == ["page"]


def test_control_characters_in_search_filters_are_refused(seeded, client):
    login(client, "operator")
    assert client.get("/cases/?q=sat%00lo").status_code == 400
    assert client.get("/work/?category=%00").status_code == 400
    assert client.get("/cases/?q=s%E1%BA%A1t+l%E1%BB%9F").status_code == 200  # "sạt lở" is fine


def test_nul_in_the_web_report_form_is_refused(seeded, client):
    response = client.post("/report", data={**REPORT_FORM, "description": "Sạt lở\x00 bờ kè đường"})
    assert response.status_code == 400 and case_count() == 0


# -- text a person typed ----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["\u200b\u200b\u200b", "\ufeff\ufeff", "\u2060\u2060",
                                  "\u200c\u200d\u200c", "An\u202eoh", "An\u2066h\u2069", "An\x07"])
def test_invisible_and_control_characters_are_refused_in_names(seeded, client, name):
    error = error_of(client.post("/api/v1/reports", json={**REPORT, "full_name": name}), 422)
    assert list(error["fields"]) == ["full_name"]
    response = client.post("/report", data={**REPORT_FORM, "full_name": name})
    assert response.status_code in (400, 422) and case_count() == 0  # \x07: the early guard


@pytest.mark.parametrize("field", ["description", "address"])
def test_bidirectional_overrides_are_refused(seeded, client, field):
    value = "Sạt lở bờ kè \u202egnờưđ\u202c Nguyễn Tất Thành"
    error = error_of(client.post("/api/v1/reports", json={**REPORT, field: value}), 422)
    assert error["fields"] == {field: ["contains invisible or control characters"]}
    response = client.post("/report", data={**REPORT_FORM, field: value})
    assert response.status_code == 422 and case_count() == 0


def test_line_breaks_and_emoji_are_kept_in_descriptions(seeded, client):
    description = "Sạt lở bờ kè\r\n\tđường Nguyễn Tất Thành 👨\u200d👩\u200d👧"
    code = Api(client).submit(description=description)
    assert case_row(code).description == description
    error = error_of(client.post("/api/v1/reports", json={**REPORT, "full_name": "Nguyễn\nAn"}),
                     422)
    assert list(error["fields"]) == ["full_name"]  # a name is one line


@pytest.mark.parametrize("lat", [True, False, 1e400, "nan", [9.1], {"x": 1}])
def test_coordinates_must_be_numbers(seeded, client, lat):
    body = json.dumps({**REPORT, "lat": "LAT"}).replace('"LAT"', "1e400" if lat == 1e400
                                                         else json.dumps(lat))
    error = error_of(post_raw(client, "/api/v1/reports", body), 422)
    assert "lat" in error["fields"]


def test_invisible_characters_are_refused_in_task_forms(seeded, client):
    api = Api(client)
    code = api.submit()
    body = api.complete("operator", code, "dispatch",
                        {"action": "dispatch", "agency": "police", "note": "xem \u202egấp"},
                        expect=422)
    assert body["error"]["fields"] == {"note": ["contains invisible or control characters"]}
    api.complete("operator", code, "dispatch",
                 {"action": "dispatch", "agency": "police", "note": "Dòng 1\r\nDòng 2"})
    body = api.complete("officer.police", code, "handle",
                        {"action": "resolve", "result": "\u200b\u200b\u200b\u200b\u200b"},
                        expect=422)
    assert list(body["error"]["fields"]) == ["result"]
    login(client, "officer.police")
    complete(client, code, "handle", {"action": "resolve", "result": "Đã xử lý \u2066xong\u2069"},
             expect=422)
    api.complete("officer.police", code, "handle", {"action": "resolve", "result": "Đã xử lý."})
    body = api.complete("operator", code, "publish", {"public_response": "\ufeffCảm ơn\u2060 bạn"},
                        expect=422)
    assert list(body["error"]["fields"]) == ["public_response"]


# -- idempotency keys -------------------------------------------------------------------------

def test_an_idempotency_key_reused_with_another_report_is_refused(seeded, client):
    headers = {"Idempotency-Key": "phone-42-retry"}
    first = client.post("/api/v1/reports", json=REPORT, headers=headers)
    assert first.status_code == 201
    # the same report, spelled differently, is the same report
    same = client.post("/api/v1/reports", headers=headers,
                       json={**REPORT, "phone": "+84912345678", "full_name": " Nguyễn Văn An "})
    assert same.status_code == 201 and same.headers["Idempotent-Replayed"] == "true"
    assert same.get_json()["tracking_code"] == first.get_json()["tracking_code"]
    for change in ({"description": REPORT["description"] + "!"}, {"urgent": True},
                   {"lat": 9.181}, {"email": None}, {"category": "health"},
                   {"consent_share_identity": True}):
        response = client.post("/api/v1/reports", json={**REPORT, **change}, headers=headers)
        assert error_of(response, 422)["code"] == "idempotency_key_reused", change
    assert case_count() == 1
    # the stored key is scoped and hashed, never the client's raw key
    stored = case_row(first.get_json()["tracking_code"]).idempotency_key
    assert stored != "phone-42-retry" and len(stored) == 64


def test_idempotency_keys_are_scoped_to_the_client(seeded, client):
    headers = {"Idempotency-Key": "k-1"}
    one = client.post("/api/v1/reports", json=REPORT, headers=headers,
                      environ_base={"REMOTE_ADDR": "203.0.113.7"})
    other = client.post("/api/v1/reports", json=REPORT, headers=headers,
                        environ_base={"REMOTE_ADDR": "198.51.100.9"})
    assert one.status_code == other.status_code == 201
    assert one.get_json()["tracking_code"] != other.get_json()["tracking_code"]
    assert "Idempotent-Replayed" not in other.headers and case_count() == 2


def test_the_web_form_sent_again_with_other_details_makes_no_silent_replay(seeded, client):
    data = {**REPORT_FORM, "idempotency_key": "form-key-1"}
    assert client.post("/report", data=data).status_code == 302
    changed = client.post("/report", data={**data, "description": data["description"] + " nữa"})
    page = text(changed)
    assert changed.status_code == 422 and "đã được gửi với nội dung khác" in page
    assert 'value="form-key-1"' not in page  # a fresh key: sending again makes a new report
    assert case_count() == 1


# -- deploying the same diagram ---------------------------------------------------------------

def upload(client, xml: str):
    return client.post("/process/deploy", content_type="multipart/form-data",
                       data={"bpmn": (io.BytesIO(xml.encode("utf-8")), "p.bpmn")})


def versions() -> list[tuple[int, bool]]:
    db.session.expire_all()
    return [(v.version, v.active) for v in db.session.scalars(
        db.select(ProcessVersion).order_by(ProcessVersion.version))]


def reserialised(xml: str) -> str:
    """The same diagram as another editor saves it: other indentation, attributes reordered."""
    from lxml import etree
    root = etree.fromstring(xml.encode("utf-8"),
                            etree.XMLParser(remove_blank_text=True, resolve_entities=False))
    for element in root.iter(etree.Element):
        attributes = sorted(element.attrib.items(), reverse=True)
        element.attrib.clear()
        element.attrib.update(attributes)
    return etree.tostring(root, encoding="unicode", pretty_print=False)


def test_an_identical_diagram_is_not_a_new_version(seeded, client, tmp_path):
    login(client, "designer")
    again = reserialised(BUNDLED)
    assert again != BUNDLED
    response = upload(client, again)
    assert response.status_code == 302
    assert "đã là phiên bản đang áp dụng" in text(client.get("/process/"))
    changed = BUNDLED.replace('name="Tiếp nhận và chuyển xử lý"', 'name="Tiếp nhận, kiểm tra"')
    upload(client, changed)
    upload(client, BUNDLED)  # back to the first diagram: a new version, v3
    upload(client, BUNDLED)  # … but only once, although v1 has the same bytes
    upload(client, again)
    assert versions() == [(1, False), (2, False), (3, True)]
    path = tmp_path / "same.bpmn"
    path.write_text(reserialised(BUNDLED), encoding="utf-8")
    result = seeded.test_cli_runner().invoke(args=["deploy", str(path)])
    assert result.exit_code == 0 and "already deployed" in result.output
    assert versions() == [(1, False), (2, False), (3, True)]


# -- photos -----------------------------------------------------------------------------------

def test_a_photo_of_too_many_pixels_is_refused_before_decoding(seeded, client):
    out = io.BytesIO()
    Image.new("1", (8000, 6000)).save(out, "PNG")  # 48 megapixels in a few kilobytes
    assert len(out.getvalue()) < 100_000
    response = client.post("/report", content_type="multipart/form-data",
                           data={**REPORT_FORM, "photos": [(io.BytesIO(out.getvalue()), "big.png")]})
    assert response.status_code == 422 and "40" in text(response)
    assert case_count() == 0
    from caseapp.services.cases.photos import clean_photos
    from caseapp.services.errors import ValidationFailed
    with pytest.raises(ValidationFailed) as caught:
        clean_photos([("big.png", out.getvalue())])
    assert caught.value.fields == {"photos": ["big.png: each photo must be at most 40 megapixels"]}


@pytest.mark.parametrize("user,path", [("operator", "/work/"), ("operator", "/cases/"),
                                       ("leader.police", "/leader/"), ("admin", "/admin/users")])
def test_huge_page_numbers_on_web_lists_are_not_a_500(seeded, client, user, path):
    login(client, user)
    for page in ("99999999999999999999", "-5", "abc"):
        response = client.get(path, query_string={"page": page})
        assert response.status_code == 200, (path, page)
