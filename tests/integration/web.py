"""Helpers for the view tests: sign in, send a report through the web form, find work items."""
from __future__ import annotations

import io
import re

from PIL import ExifTags, Image

REPORT_FORM = {"full_name": "Nguyễn Thị Bích", "phone": "0918 222 333", "email": "",
               "category": "health", "description": "Nhiều trường hợp sốt xuất huyết ở ấp Tân Thành",
               "address": "Ấp Tân Thành, xã Tân Thành, TP Cà Mau"}

CODE = re.compile(r"CM-[A-Z0-9]{4}-[A-Z0-9]{4}")


def login(client, username: str, password: str = "pw"):
    client.post("/logout")
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def send_report(client, photos=None, **overrides) -> str:
    """Submit the public form; return the tracking code shown on the confirmation page."""
    data = {**REPORT_FORM, **overrides}
    if photos:
        data["photos"] = [(io.BytesIO(blob), name) for name, blob in photos]
    response = client.post("/report", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    return CODE.search(page).group(0)


def open_item(code: str, form_key: str):
    """The open work item of a case for a form key (read straight from the index)."""
    from caseapp.extensions import db
    from caseapp.models import Case, WorkItem
    db.session.expire_all()
    return db.session.scalars(db.select(WorkItem).join(Case, Case.id == WorkItem.case_id).where(
        Case.tracking_code == code, WorkItem.form_key == form_key,
        WorkItem.state == "open")).one()


def case_row(code: str):
    from caseapp.extensions import db
    from caseapp.models import Case
    db.session.expire_all()
    return db.session.scalars(db.select(Case).where(Case.tracking_code == code)).one()


def complete(client, code: str, form_key: str, data: dict, expect: int = 302):
    item = open_item(code, form_key)
    response = client.post(f"/work/items/{item.id}", data=data)
    assert response.status_code == expect, response.get_data(as_text=True)[:3000]
    return response


def jpeg_with_gps(size=(64, 48)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (9.0, 10.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (105.0, 9.0, 0.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png(size=(32, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (10, 120, 200, 255)).save(out, "PNG")
    return out.getvalue()


def text(response) -> str:
    return response.get_data(as_text=True)
