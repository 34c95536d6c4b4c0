"""Citizens' pages: the report form (with photos) and the tracking page."""
from __future__ import annotations

import io
import re

from PIL import Image

from .web import (CODE, REPORT_FORM, case_row, complete, jpeg_with_gps, login, png,
                  send_report, text)


def english(client):
    client.get("/lang/en")


def test_home_page_links_to_report_and_tracking(seeded, client):
    page = text(client.get("/"))
    assert 'href="/report"' in page and 'href="/track"' in page
    assert 'id="nav-login"' in page


def test_report_form_has_every_field_and_consent_is_off(seeded, client):
    english(client)
    page = text(client.get("/report"))
    for field_id in ("full_name", "phone", "email", "category", "description", "address",
                     "lat", "lon", "photos", "consent_share_identity", "use-location"):
        assert f'id="{field_id}"' in page, field_id
    consent = page[page.index('id="consent_share_identity"') - 200:page.index('id="consent_share_identity"') + 50]
    assert "checked" not in consent
    assert "I agree that the handling agency may see my name and phone" in page
    assert "responsible before the law for the truthfulness" in page
    assert 'enctype="multipart/form-data"' in page
    # every visible input has a label
    for field_id in ("full_name", "phone", "email", "category", "description", "address",
                     "photos", "consent_share_identity"):
        assert f'<label for="{field_id}"' in page, field_id
    # categories come from the database, in the visitor's language
    assert ">Health</option>" in page and ">Natural disasters</option>" in page


def test_sending_a_report_shows_the_tracking_code_and_keeps_identity_private(seeded, client):
    english(client)
    response = client.post("/report", data=REPORT_FORM)
    assert response.status_code == 302 and response.headers["Location"].endswith("/report/sent")
    page = text(client.get("/report/sent"))
    code = CODE.search(page).group(0)
    assert 'class="big-code"' in page and f'href="/track/{code}"' in page
    case = case_row(code)
    assert case.reporter_name == "Nguyễn Thị Bích" and case.reporter_phone == "0918222333"
    assert case.consent_share_identity is False and case.category.code == "health"
    assert case.reporter_email is None


def test_consent_and_location_are_stored(seeded, client):
    code = send_report(client, consent_share_identity="y", lat="9.176", lon="105.152", urgent="y")
    case = case_row(code)
    assert case.consent_share_identity is True and case.urgent is True
    assert abs(case.lat - 9.176) < 1e-6 and abs(case.lon - 105.152) < 1e-6


def test_form_with_errors_keeps_the_entered_values(seeded, client):
    english(client)
    data = {**REPORT_FORM, "phone": "12345", "description": "short", "email": "not-mail",
            "consent_share_identity": "y"}
    response = client.post("/report", data=data)
    page = text(response)
    assert response.status_code == 422
    assert 'value="Nguyễn Thị Bích"' in page and 'value="12345"' in page
    assert 'value="Ấp Tân Thành, xã Tân Thành, TP Cà Mau"' in page
    assert re.search(r">\s*short</textarea>", page)
    assert '<option selected value="health">' in page or 'value="health" selected' in page
    assert 'id="phone-error"' in page and "Vietnamese phone number" in page
    assert 'id="description-error"' in page and 'id="email-error"' in page
    assert 'aria-invalid="true"' in page
    consent = page[page.index('id="consent_share_identity"') - 200:page.index('id="consent_share_identity"') + 50]
    assert "checked" in consent
    from caseapp.extensions import db
    from caseapp.models import Case
    assert db.session.scalar(db.select(db.func.count(Case.id))) == 0


def test_service_errors_land_on_the_field(seeded, client):
    """A phone the form accepts but the domain rules refuse is shown on the phone field."""
    english(client)
    response = client.post("/report", data={**REPORT_FORM, "phone": "0112345678"})
    assert response.status_code == 422
    page = text(response)
    assert 'id="phone-error"' in page and 'value="0112345678"' in page


def test_missing_required_fields(seeded, client):
    english(client)
    response = client.post("/report", data={"full_name": "", "phone": "", "category": "",
                                            "description": ""})
    page = text(response)
    assert response.status_code == 422
    for name in ("full_name", "phone", "category", "description"):
        assert f'id="{name}-error"' in page, name


def test_photo_with_gps_is_stored_without_exif(seeded, client):
    original = jpeg_with_gps()
    assert b"Exif" in original
    code = send_report(client, photos=[("field.jpg", original), ("map.png", png())])
    from caseapp.extensions import db
    from caseapp.models import CasePhoto
    photos = list(db.session.scalars(db.select(CasePhoto).where(
        CasePhoto.case_id == case_row(code).id).order_by(CasePhoto.id)))
    assert [p.content_type for p in photos] == ["image/jpeg", "image/png"]
    stored = photos[0].data
    assert b"Exif" not in stored and b"TestCam" not in stored
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG" and image.size == (64, 48)
    assert not image.getexif() and not image.getexif().get_ifd(0x8825)
    assert photos[0].size == len(stored)


def _post_photos(client, photos):
    data = {**REPORT_FORM, "photos": [(io.BytesIO(blob), name) for name, blob in photos]}
    return client.post("/report", data=data, content_type="multipart/form-data")


def _no_case_created():
    from caseapp.extensions import db
    from caseapp.models import Case
    return db.session.scalar(db.select(db.func.count(Case.id))) == 0


def test_text_file_renamed_jpg_is_rejected(seeded, client):
    english(client)
    response = _post_photos(client, [("evil.jpg", b"this is not a picture\n" * 20)])
    assert response.status_code == 422
    page = text(response)
    assert 'id="photos-error"' in page and "only JPEG or PNG photos are accepted" in page
    assert 'value="Nguyễn Thị Bích"' in page
    assert _no_case_created()


def test_other_image_formats_are_rejected(seeded, client):
    english(client)
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, "GIF")
    response = _post_photos(client, [("anim.jpg", gif.getvalue())])
    assert response.status_code == 422 and "only JPEG or PNG" in text(response)
    assert _no_case_created()


def test_photo_over_5_mb_is_rejected(seeded, client):
    english(client)
    big = jpeg_with_gps() + b"\0" * (5 * 1024 * 1024)
    response = _post_photos(client, [("big.jpg", big)])
    assert response.status_code == 422 and "at most 5 MB" in text(response)
    assert _no_case_created()


def test_four_photos_are_rejected(seeded, client):
    english(client)
    response = _post_photos(client, [(f"p{i}.png", png()) for i in range(4)])
    assert response.status_code == 422
    assert "at most 3 photos" in text(response)
    assert _no_case_created()


def test_three_photos_are_accepted(seeded, client):
    code = send_report(client, photos=[(f"p{i}.png", png()) for i in range(3)])
    from caseapp.extensions import db
    from caseapp.models import CasePhoto
    assert db.session.scalar(db.select(db.func.count(CasePhoto.id)).where(
        CasePhoto.case_id == case_row(code).id)) == 3


def test_resubmitting_the_same_form_does_not_create_a_second_case(seeded, client):
    data = {**REPORT_FORM, "idempotency_key": "form-key-1"}
    first = client.post("/report", data=data)
    second = client.post("/report", data=data)
    assert first.status_code == second.status_code == 302
    from caseapp.extensions import db
    from caseapp.models import Case
    assert db.session.scalar(db.select(db.func.count(Case.id))) == 1


def test_report_sent_without_a_report_goes_back_to_the_form(seeded, client):
    response = client.get("/report/sent")
    assert response.status_code == 302 and response.headers["Location"].endswith("/report")


def test_tracking_page_shows_phase_deadline_and_timeline_but_never_identity(seeded, client):
    code = send_report(client, email="bich@example.vn", consent_share_identity="y")
    english(client)
    response = client.get(f"/track/{code}")
    page = text(response)
    assert response.status_code == 200
    assert code in page and "Receiving and dispatching" in page
    assert 'id="current-deadline"' in page and "left)" in page
    assert "Report received" in page
    for secret in ("Nguyễn Thị Bích", "0918222333", "0918 222 333", "bich@example.vn"):
        assert secret not in page


def test_tracking_form_redirects_to_the_code_and_unknown_code_is_404(seeded, client):
    code = send_report(client)
    response = client.get("/track", query_string={"code": code.lower()})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/track/{code}")
    english(client)
    missing = client.get("/track/CM-NOPE-NOPE")
    assert missing.status_code == 404 and "No report has this tracking code" in text(missing)


def test_tracking_page_shows_the_reply_after_publication(seeded, client):
    code = send_report(client)
    login(client, "operator")
    complete(client, code, "dispatch", {"action": "dispatch", "agency": "health"})
    login(client, "officer.health")
    complete(client, code, "handle", {"action": "resolve",
                                      "result": "Đã phun thuốc diệt muỗi toàn ấp."})
    login(client, "operator")
    complete(client, code, "publish", {"public_response": "Sở Y tế đã phun thuốc diệt muỗi."})
    client.post("/logout")
    english(client)
    page = text(client.get(f"/track/{code}"))
    assert 'id="reply"' in page and "Sở Y tế đã phun thuốc diệt muỗi." in page
    assert "Answered" in page and "Reply published" in page
    assert "Department of Health" in page  # the agency, in the visitor's language
    assert 'id="current-deadline"' not in page


def test_rejected_report_shows_the_standard_reply(seeded, client):
    code = send_report(client)
    login(client, "operator")
    complete(client, code, "dispatch", {"action": "reject", "reject_reason": "spam"})
    client.post("/logout")
    english(client)
    page = text(client.get(f"/track/{code}"))
    assert "Not accepted" in page and 'id="reply"' in page and "không tiếp nhận" in page
