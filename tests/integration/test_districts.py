"""A report may name its district: web form and API, shown on the case page, checked."""
from .helpers import Api
from .web import login, send_report, case_row, text


def test_api_report_with_district_is_kept_and_shown(seeded, client):
    api = Api(client)
    code = api.submit(district="damdoi")
    assert case_row(code).district.code == "damdoi"
    case = api.call("GET", f"/api/v1/cases/{code}", "operator").get_json()
    assert case["district"] == "damdoi" and case["district_name"] == "Huyện Đầm Dơi"


def test_district_is_optional_and_an_unknown_one_is_refused(seeded, client):
    api = Api(client)
    assert case_row(api.submit()).district is None
    response = api.call("POST", "/api/v1/reports",
                        json={**_report(), "district": "atlantis"})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]["district"] == ["unknown district"]
    response = api.call("POST", "/api/v1/reports", json={**_report(), "district": 7})
    assert response.status_code == 422


def test_web_form_offers_the_districts_and_keeps_the_choice(seeded, client):
    page = text(client.get("/report"))
    assert 'id="district"' in page and "Huyện Năm Căn" in page
    code = send_report(client, district="namcan")
    assert case_row(code).district.code == "namcan"
    login(client, "operator")
    detail = text(client.get(f"/cases/{code}"))
    assert 'id="case-district"' in detail and "Huyện Năm Căn" in detail
    client.get("/lang/en")
    assert "Năm Căn District" in text(client.get(f"/cases/{code}"))


def _report():
    from .helpers import REPORT
    return dict(REPORT)
