"""Scenario: the portal supervisor publishes an emergency announcement, a citizen sees it on the
report form (phone), it disappears once withdrawn; a citizen searches the public board."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from .helpers import create_case, login, open_item_id

TITLE = "Cảnh báo triều cường <b>khẩn</b>"
TEXT = "Triều cường đạt đỉnh lúc 18 giờ.\nNgười dân ven sông Gành Hào chú ý an toàn."
AREA = "Huyện Đầm Dơi, Cái Nước"


def test_announcement_published_shown_to_citizens_and_withdrawn(new_context, shot):
    supervisor = new_context("desktop").new_page()
    login(supervisor, "supervisor")
    supervisor.locator("#nav-announcements").click()
    expect(supervisor.locator("h1")).to_have_text("Thông báo khẩn cấp")
    supervisor.locator("#ann-title").fill(TITLE)
    supervisor.locator("#ann-text").fill(TEXT)
    supervisor.locator("#ann-area").fill(AREA)
    # start and end come pre-filled: from now, for 24 hours (local time)
    assert supervisor.locator("#ann-starts-at").input_value()
    assert supervisor.locator("#ann-ends-at").input_value() > supervisor.locator("#ann-starts-at").input_value()
    shot(supervisor, "publish-form")
    supervisor.locator("#publish-announcement").click()
    expect(supervisor.locator(".flash-success")).to_contain_text("Đã đăng thông báo")
    row = supervisor.locator("#ann-active tbody tr").filter(has_text=AREA)
    expect(row).to_have_count(1)

    citizen = new_context("phone").new_page()
    citizen.goto("/report")
    banner = citizen.locator("#announcements .announcement").filter(has_text=AREA)
    expect(banner).to_be_visible()
    expect(banner.locator(".announcement-title")).to_contain_text(TITLE)  # shown as text, not HTML
    expect(banner.locator("b")).to_have_count(0)
    expect(banner.locator(".announcement-body")).to_contain_text("Gành Hào chú ý an toàn")
    box = banner.bounding_box()
    assert box and box["width"] <= 360  # fits the phone's width
    shot(citizen, "report-form-with-announcement")
    citizen.goto("/board")
    expect(banner).to_be_visible()

    row.locator("button", has_text="Thu hồi thông báo").click()
    expect(supervisor.locator(".flash-success")).to_contain_text("Đã thu hồi thông báo")
    expect(supervisor.locator("#ann-active tbody tr").filter(has_text=AREA)).to_have_count(0)
    expect(supervisor.locator("#ann-past tbody tr").filter(has_text=AREA)).to_have_count(1)
    citizen.goto("/report")
    expect(citizen.locator("#announcements .announcement").filter(has_text=AREA)).to_have_count(0)
    shot(citizen, "report-form-after-withdrawal")


def _answer(app, code: str, agency: str, reply: str) -> None:
    """The agency resolves and the portal publishes (through the services)."""
    from caseapp.extensions import db
    from caseapp.models import User
    from caseapp.services.cases import tasks as work_items

    def user(name):
        return db.session.scalars(db.select(User).where(User.username == name)).one()

    item = open_item_id(app, code, "handle")
    with app.app_context():
        work_items.complete(user(f"officer.{agency}"), item,
                            {"action": "resolve", "result": "Kết quả nội bộ của cơ quan."})
        db.session.remove()
    item = open_item_id(app, code, "publish")
    with app.app_context():
        work_items.complete(user("operator"), item, {"public_response": reply})
        db.session.remove()


def test_citizen_searches_the_board(new_context, live_server, shot):
    reply = "Đội cứu hộ đã khơi thông kênh Xáng Phụng Hiệp, nước rút hoàn toàn."
    code = create_case(live_server.app, agency="agriculture", category="disaster",
                       full_name="Phạm Thị Riêng Tư", district="damdoi",
                       description="Nước ngập kênh Xáng sau mưa lớn, nhà bà Tư bị ngập.")
    _answer(live_server.app, code, "agriculture", reply)

    citizen = new_context("phone").new_page()
    citizen.goto(f"/track/{code}")
    citizen.locator("#track-board-link").click()
    expect(citizen).to_have_url(re.compile(r"/board$"))
    expect(citizen.locator("#figure-answered dd")).not_to_have_text("0")
    citizen.locator("#f-category").select_option("disaster")
    citizen.locator("#f-district").select_option("damdoi")
    citizen.locator("#f-q").fill("kênh Xáng")
    citizen.locator("#board-search-submit").click()
    entry = citizen.locator("#board-list .board-entry")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text(reply)
    expect(entry).to_contain_text("Đầm Dơi")
    page_text = citizen.locator("main").inner_text()
    assert "Phạm Thị Riêng Tư" not in page_text and "nhà bà Tư" not in page_text
    assert "Kết quả nội bộ" not in page_text and code not in page_text
    shot(citizen, "board-search")
    citizen.locator("#f-q").fill("không có từ này đâu")
    citizen.locator("#board-search-submit").click()
    expect(citizen.locator("#board-empty")).to_be_visible()


def _fits_the_phone(page) -> None:
    """Nothing reaches past the 360 px screen: no sideways scrolling to find a button."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_supervisor_publishes_and_withdraws_on_a_phone(new_context, shot):
    """On a 360 px phone the "shown from / until" pickers show their time, and the withdraw
    button is on the screen, not in a table scrolled off to the right."""
    page = new_context("phone").new_page()
    login(page, "supervisor")
    page.goto("/announcements/")
    for picker in ("#ann-starts-at", "#ann-ends-at"):
        box = page.locator(picker).bounding_box()
        assert box and box["width"] >= 13 * 16 and box["x"] + box["width"] <= 360
    page.locator("#ann-title").fill("Mưa lớn kéo dài")
    page.locator("#ann-text").fill("Người dân hạn chế ra đường trong đêm nay.")
    page.locator("#ann-area").fill("Thành phố Cà Mau, phone")
    page.locator("#publish-announcement").click()
    expect(page.locator(".flash-success")).to_contain_text("Đã đăng thông báo")
    row = page.locator("#ann-active tbody tr").filter(has_text="Thành phố Cà Mau, phone")
    withdraw = row.locator("button", has_text="Thu hồi thông báo")
    box = withdraw.bounding_box()  # where it is without scrolling the table sideways
    assert box and 0 <= box["x"] and box["x"] + box["width"] <= 360
    _fits_the_phone(page)
    shot(page, "announcements-phone")
    withdraw.click()
    expect(page.locator(".flash-success")).to_contain_text("Đã thu hồi thông báo")
    _fits_the_phone(page)


def test_admin_issues_and_revokes_an_open311_key_on_a_phone(new_context, shot):
    page = new_context("phone").new_page()
    login(page, "admin")
    page.goto("/admin/open311-keys")
    page.locator("#name").fill("Ứng dụng điện thoại")
    page.locator("#open311-key-form button[type=submit]").click()
    expect(page.locator("#open311-key-value")).to_contain_text("o311_")
    row = page.locator("#open311-keys tbody tr").filter(has_text="Ứng dụng điện thoại")
    row.locator("button", has_text="Thu hồi khóa").click()
    expect(row).to_contain_text("Đã thu hồi")
    _fits_the_phone(page)  # the long "revoked on …" badge wraps
    shot(page, "open311-keys-phone")
