"""The dashboard page, its JSON refresh and its CSV/XLSX exports, for each role."""
from __future__ import annotations

import csv
import io

import pytest
from freezegun import freeze_time
from openpyxl import load_workbook

from .test_dashboard import NOW, _holidays_computed, province  # noqa: F401 (fixtures)
from .web import login


def test_monitor_lands_on_the_province_dashboard(province, client):
    with freeze_time(NOW):
        response = client.post("/login", data={"username": "monitor", "password": "pw"})
        assert response.status_code == 302 and response.headers["Location"].endswith("/leader/")
        html = client.get("/leader/").get_data(as_text=True)
    assert 'id="nav-leader"' in html
    assert 'id="table-on_time"' in html and 'id="chart-on_time"' in html
    assert "vendor/chart.js/chart.umd.min.js" in html and "js/dashboard.js" in html
    assert 'id="dashboard-data"' in html and "<script>" not in html
    assert f"/cases/{province['F']}" in html  # the worst open case links to its page
    assert 'data-card="today">5<' in html
    assert 'id="leader-cases"' not in html  # an agency's own list is for its leader
    assert "Reporter" not in html


def test_supervisor_reaches_the_dashboard_from_the_nav(province, client):
    with freeze_time(NOW):
        login(client, "supervisor")
        html = client.get("/work/").get_data(as_text=True)
        assert 'id="nav-leader"' in html and 'href="/leader/"' in html
        assert client.get("/leader/").status_code == 200


def test_leader_dashboard_keeps_cases_and_notifications(province, client):
    with freeze_time(NOW):
        login(client, "leader.police")
        html = client.get("/leader/").get_data(as_text=True)
    assert 'id="leader-cases"' in html and 'id="notifications"' in html
    assert 'id="jump-notifications"' in html
    assert 'id="table-on_time"' in html
    agencies = html.split('id="filter-agency"')[1].split("</select>")[0]
    assert 'value="police"' in agencies and agencies.count("<option") == 1  # their agency only


def test_figures_json_follows_the_filters(province, client):
    with freeze_time(NOW):
        login(client, "monitor")
        body = client.get("/leader/figures.json").get_json()
        health = client.get("/leader/figures.json?category=health").get_json()
        bad = client.get("/leader/figures.json?to=yesterday",
                         headers={"Accept": "application/json"})
    assert body["cards"]["period"] == 5 and health["cards"]["period"] == 2
    tables = {t["id"]: t for t in body["tables"]}
    assert tables["on_time"]["columns"][0] == "Bước"  # Vietnamese first
    assert tables["bounces"]["rows"] == [["Công an tỉnh Cà Mau", "Sở Y tế", 1]]
    assert bad.status_code == 422 and "to" in bad.get_json()["error"]["fields"]


def test_bad_filters_on_the_page_show_an_error_not_a_500(province, client):
    with freeze_time(NOW):
        login(client, "monitor")
        response = client.get("/leader/?from=2026-02-30&category=nope")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="filter-from-error"' in html and "field-error" in html


def test_english_switch(province, client):
    with freeze_time(NOW):
        login(client, "monitor")
        body = client.get("/leader/figures.json?lang=en").get_json()
    tables = {t["id"]: t for t in body["tables"]}
    assert tables["on_time"]["columns"][0] == "Step"


@pytest.mark.parametrize("username", ["operator", "officer.police", "designer", "admin"])
def test_roles_without_figures_get_403(province, app, username):
    client = app.test_client()
    login(client, username)
    assert client.get("/leader/").status_code == 403
    assert client.get("/leader/figures.json").status_code == 403
    assert client.get("/leader/export/register.csv").status_code == 403


def test_table_exports_csv_and_xlsx(province, client):
    with freeze_time(NOW):
        login(client, "monitor")
        response = client.get("/leader/export/on_time.csv")
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/csv")
        assert "on_time_2026-03-01_2026-03-10.csv" in response.headers["Content-Disposition"]
        raw = response.get_data()
        assert raw.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert rows[0] == ["Bước", "Cơ quan", "Đúng hạn", "Trễ hạn", "Trễ hạn và chưa xong",
                           "Đúng hạn (%)"]
        assert len(rows) == 5
        response = client.get("/leader/export/bounces.xlsx?category=security")
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(response.get_data())).active
        values = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert values == [["Chuyển trả bởi", "Chuyển tiếp đến", "Số phản ánh"],
                          ["Công an tỉnh Cà Mau", "Sở Y tế", 1]]
        assert client.get("/leader/export/nothing.csv").status_code == 404
        assert client.get("/leader/export/on_time.pdf").status_code == 404


def test_register_export(province, client):
    with freeze_time(NOW):
        login(client, "supervisor")
        raw = client.get("/leader/export/register.csv").get_data()
        login(client, "monitor")
        monitor_raw = client.get("/leader/export/register.xlsx").get_data()
        login(client, "leader.police")
        police_raw = client.get("/leader/export/register.csv").get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 5
    by_code = {row["Mã tra cứu"]: row for row in rows}
    b = by_code[province["B"]]
    assert b["Các cơ quan (theo thứ tự)"] == "Công an tỉnh Cà Mau (đã trả lại) → Sở Y tế (đang xử lý)"
    assert (b["Số thời hạn đáp ứng"], b["Số thời hạn bị trễ"]) == ("3", "1")
    assert b["Họ tên người phản ánh"] == "Nguyễn Văn Dân"  # the portal sees the identity
    a = by_code[province["A"]]
    assert a["Tình trạng"] == "Đã trả lời" and a["Trả lời người phản ánh"].startswith("Cảm ơn")
    from caseapp.extensions import db
    from caseapp.models import IdentityDisclosure
    assert db.session.scalar(db.select(db.func.count(IdentityDisclosure.id)).where(
        IdentityDisclosure.channel == "export")) == 5
    sheet = load_workbook(io.BytesIO(monitor_raw)).active
    header = next(sheet.iter_rows(values_only=True))
    assert "Họ tên người phản ánh" not in header and sheet.max_row == 6
    police = list(csv.DictReader(io.StringIO(police_raw.decode("utf-8-sig"))))
    assert {row["Mã tra cứu"] for row in police} == {province[n] for n in "ABD"}
    assert "Họ tên người phản ánh" not in police[0]


def test_formula_text_is_exported_as_text(province, client):
    from .test_dashboard import submit
    with freeze_time(NOW):
        code = submit("=HYPERLINK(\"http://x\")", "health")
        from caseapp.extensions import db
        from caseapp.models import Case
        case = db.session.scalars(db.select(Case).where(Case.tracking_code == code)).one()
        case.description = "=1+1"
        db.session.commit()
        login(client, "monitor")
        raw = client.get("/leader/export/register.csv").get_data().decode("utf-8-sig")
        book = client.get("/leader/export/register.xlsx").get_data()
    assert ",'=1+1," in raw
    sheet = load_workbook(io.BytesIO(book)).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value == "=1+1"]
    assert cells and all(c.data_type == "s" for c in cells)
