"""Admins keep the list of districts a report can name, like the categories."""
from caseapp.extensions import db
from caseapp.models import AuditLog, District

from .test_admin import admin_client, field_errors  # noqa: F401  (fixture)


def _actions():
    return [a.action for a in db.session.scalars(db.select(AuditLog).order_by(AuditLog.id))]


def test_list_create_edit_and_deactivate_a_district(admin_client, client):
    page = admin_client.get("/admin/districts").get_data(as_text=True)
    assert 'id="district-damdoi"' in page and "Huyện Đầm Dơi" in page
    response = admin_client.post("/admin/districts/new", data={
        "code": "bacbang", "name": "Huyện Bạc Bàng", "name_en": "Bạc Bàng District",
        "sort": "20", "active": "y"})
    assert response.status_code == 302
    district = db.session.scalars(db.select(District).where(District.code == "bacbang")).one()
    assert district.active and district.sort == 20
    assert "Huyện Bạc Bàng" in client.get("/report").get_data(as_text=True)
    response = admin_client.post(f"/admin/districts/{district.id}/edit", data={
        "name": "Huyện Bạc Bàng", "name_en": "Bạc Bàng District", "sort": "20"})
    assert response.status_code == 302
    db.session.expire_all()
    assert not db.session.get(District, district.id).active
    assert "Huyện Bạc Bàng" not in client.get("/report").get_data(as_text=True)
    assert _actions()[-2:] == ["district.create", "district.update"]


def test_a_taken_code_is_refused_and_nothing_is_saved(admin_client):
    before = db.session.scalar(db.select(db.func.count(District.id)))
    response = admin_client.post("/admin/districts/new", data={"code": "camau", "name": "Trùng"})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "code")
    assert db.session.scalar(db.select(db.func.count(District.id))) == before


def test_only_admins_reach_the_district_screens(seeded, client):
    from .web import login
    login(client, "operator")
    assert client.get("/admin/districts").status_code == 403
