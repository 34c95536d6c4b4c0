"""Language switch, Vietnamese by default, complete catalogues, local times."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from .web import login, send_report, text

TRANSLATIONS = Path(__file__).resolve().parents[2] / "caseapp" / "translations"


@pytest.fixture(autouse=True, scope="module")
def compiled_catalogues():
    """`make translations` compiles the catalogues; do the same when running pytest directly."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as fh:
                catalog = read_po(fh)
            with mo.open("wb") as fh:
                write_mo(fh, catalog)


def test_vietnamese_is_the_default(seeded, client):
    page = text(client.get("/"))
    assert '<html lang="vi">' in page
    assert "Gửi phản ánh" in page and "Tra cứu phản ánh" in page
    assert 'id="lang-en"' in page


def test_switch_to_english_is_remembered(seeded, client):
    response = client.get("/lang/en?next=/report")
    assert response.status_code == 302 and response.headers["Location"] == "/report"
    assert "lang=en" in response.headers["Set-Cookie"]
    page = text(client.get("/report"))
    assert '<html lang="en">' in page and "Send the report" in page
    assert "Gửi phản ánh" not in page
    # a new session with only the cookie still gets English
    fresh = client.application.test_client()
    fresh.set_cookie("lang", "en")
    assert '<html lang="en">' in text(fresh.get("/"))
    # and back to Vietnamese
    client.get("/lang/vi")
    assert "Gửi phản ánh" in text(client.get("/report"))


def test_language_survives_sign_in_and_sign_out(seeded, client):
    client.get("/lang/en")
    login(client, "operator")
    assert "Work queue" in text(client.get("/work/"))
    client.post("/logout")
    assert "You have been signed out." in text(client.get("/login"))


def test_unknown_language_and_offsite_next_are_ignored(seeded, client):
    response = client.get("/lang/fr?next=https://evil.example/")
    assert response.headers["Location"] == "/"
    assert '<html lang="vi">' in text(client.get("/"))
    assert client.get("/lang/en?next=//evil.example").headers["Location"] == "/"


def test_category_names_follow_the_language(seeded, client):
    assert ">Y tế – sức khỏe</option>" in text(client.get("/report"))
    client.get("/lang/en")
    assert ">Health</option>" in text(client.get("/report"))


def test_staff_pages_in_vietnamese(seeded, client):
    code = send_report(client)
    login(client, "operator")
    page = text(client.get("/work/"))
    assert "Danh sách việc" in page and "Nhận việc" in page and "Thời gian còn lại" in page
    assert "Y tế – sức khỏe" in page
    case = text(client.get(f"/cases/{code}"))
    assert "Quá trình xử lý" in case and "Đã tiếp nhận phản ánh" in case


def test_form_errors_in_vietnamese(seeded, client):
    response = client.post("/report", data={"full_name": "", "phone": "123"})
    page = text(response)
    assert "Mục này là bắt buộc." in page and "Hãy nhập số điện thoại Việt Nam" in page


def test_error_page_in_both_languages(seeded, client):
    assert "Không tìm thấy" in text(client.get("/no/such/page"))
    assert "Không có phản ánh nào mang mã tra cứu này" in text(client.get("/track/CM-NOPE-NOPE"))
    client.get("/lang/en")
    assert "Not found" in text(client.get("/no/such/page"))


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_catalogues_are_complete(lang):
    from babel.messages.pofile import read_po
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    untranslated = [m.id for m in catalog if m.id and (
        not m.string or (isinstance(m.string, tuple) and not all(m.string)) or m.fuzzy)]
    assert not untranslated
    assert len(catalog) > 100


def test_catalogue_covers_every_string_in_the_sources():
    """Every msgid the sources use is in the Vietnamese catalogue (run pybabel extract/update)."""
    import subprocess
    import sys
    import tempfile

    from babel.messages.pofile import read_po
    root = TRANSLATIONS.parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        pybabel = Path(sys.executable).with_name("pybabel")
        subprocess.run([str(pybabel), "extract", "-F", "caseapp/babel.cfg", "-k", "_l",
                        "-k", "lazy_gettext", "-o", str(pot), "."], check=True,
                       capture_output=True, cwd=root)
        with pot.open("rb") as fh:
            wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    with (TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        have = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id and m.string}
    assert sorted(wanted - have) == []


def test_local_datetime_and_time_left(app):
    from caseapp.i18n import TimeLeft, local_datetime
    moment = datetime(2026, 1, 31, 17, 5, tzinfo=timezone.utc)
    assert local_datetime(moment) == "01/02/2026 00:05"
    assert local_datetime("2026-01-31T17:05:00+00:00") == "01/02/2026 00:05"
    assert local_datetime(None) == ""
    from flask_babel import refresh
    with app.test_request_context("/?lang=en"):
        refresh()
        left = TimeLeft(moment, now=moment - timedelta(hours=2, minutes=5))
        assert str(left) == "2 h 05 min left" and not left.overdue and left.css == ""
        late = TimeLeft(moment, now=moment + timedelta(days=1, hours=3))
        assert str(late) == "overdue by 1 d 3 h" and late.overdue and late.css == "overdue"
        assert TimeLeft(moment, now=moment - timedelta(minutes=12)).css == "due-soon"
    with app.test_request_context("/"):
        refresh()
        assert str(TimeLeft(moment, now=moment - timedelta(minutes=12))) == "còn 12 phút"
        assert str(TimeLeft(moment, now=moment + timedelta(hours=1))) == "quá hạn 1 giờ 00 phút"
