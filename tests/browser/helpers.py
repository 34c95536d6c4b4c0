"""What the browser scenarios share: signing in, sending a report, finding tasks, reading the DB."""
from __future__ import annotations

import io
import re
from pathlib import Path

from playwright.sync_api import Page, expect
from PIL import Image

PASSWORD = "pw"
CODE = re.compile(r"CM-[A-Z0-9]{4}-[A-Z0-9]{4}")

# Visible Vietnamese texts (the default language) the scenarios look for.
VI = {
    "report_title": "Gửi phản ánh",
    "sent_title": "Cảm ơn bạn, phản ánh đã được tiếp nhận",
    "work_queue": "Danh sách việc",
    "staff_sign_in": "Cán bộ đăng nhập",
    "sign_in_needed": "Vui lòng đăng nhập để mở trang này.",
    "dispatched": "Đã chuyển phản ánh đến cơ quan xử lý.",
    "returned": "Đã trả phản ánh về Cổng TTĐT.",
    "resolved": "Đã gửi kết quả xử lý về Cổng TTĐT.",
    "published": "Đã công bố kết quả trả lời.",
    "rejected": "Đã không tiếp nhận phản ánh.",
    "status_closed": "Đã trả lời",
    "status_rejected": "Không tiếp nhận",
    "reply_heading": "Trả lời của Cổng TTĐT tỉnh",
    "fix_fields": "Vui lòng sửa các mục được đánh dấu.",
    "bad_phone": "Hãy nhập số điện thoại Việt Nam, ví dụ 0912 345 678.",
    "required": "Mục này là bắt buộc.",
    "choose_agency": "Hãy chọn cơ quan.",
    "forbidden": "Bạn không có quyền truy cập trang này",
    "task_dispatch": "Tiếp nhận và chuyển xử lý",
    "task_handle": "Xử lý phản ánh",
    "task_publish": "Trả lời người phản ánh",
}

REPORT = {"full_name": "Trần Văn Bảy", "phone": "0918 123 456", "email": "bay.tran@example.vn",
          "category": "security",
          "description": "Đèn tín hiệu giao thông ở ngã tư Lý Thường Kiệt bị hỏng từ sáng nay, "
                         "xe cộ đi lại rất nguy hiểm.",
          "address": "Ngã tư Lý Thường Kiệt – Trần Hưng Đạo, phường 5, TP Cà Mau"}


def small_jpeg(path: Path, color=(30, 120, 200)) -> Path:
    """A small real JPEG (the server checks photos by content)."""
    image = Image.new("RGB", (120, 90), color)
    for x in range(0, 120, 10):
        for y in range(0, 90, 10):
            image.putpixel((x, y), (255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    path.write_bytes(buffer.getvalue())
    return path


def fill_report(page: Page, data: dict | None = None, photos: list[Path] | None = None) -> None:
    """Fill the citizen's form on /report (already open)."""
    data = {**REPORT, **(data or {})}
    page.get_by_label(re.compile("^Họ và tên")).fill(data["full_name"])
    page.locator("#phone").fill(data["phone"])
    page.locator("#email").fill(data["email"])
    page.locator("#category").select_option(data["category"])
    page.locator("#description").fill(data["description"])
    page.locator("#address").fill(data["address"])
    if photos:
        page.locator("#photos").set_input_files([str(p) for p in photos])


def send_report(page: Page, shot=None, data: dict | None = None,
                photos: list[Path] | None = None) -> str:
    """Open the form, fill it, send it; return the tracking code shown on the confirmation."""
    page.goto("/report")
    fill_report(page, data, photos)
    if shot:
        shot(page, "report-filled")
    page.locator("#submit-report").click()
    expect(page).to_have_url(re.compile(r"/report/sent$"))
    code = page.locator("#tracking-code").inner_text().strip()
    assert CODE.fullmatch(code), code
    return code


def login(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the form; the page ends on the role's home page."""
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("#login-submit").click()
    expect(page.locator("#logout")).to_be_visible()


def logout(page: Page) -> None:
    page.locator("#logout").click()
    expect(page.locator("#login-form")).to_be_visible()


def open_task_from_queue(page: Page, code: str, task_title: str) -> str:
    """From the work queue, open the case's task by clicking its row; return the task URL."""
    page.goto("/work/?sort=-created_at")  # newest first: earlier tests leave tasks behind
    row = page.locator(f'#queue-table tr[data-code="{code}"]')
    expect(row).to_have_count(1)
    expect(row).to_contain_text(task_title)
    row.locator("a.task-link").click()
    expect(page.locator("#task-title")).to_contain_text(task_title)
    expect(page.locator("#task-title")).to_contain_text(code)
    return page.url


def submit_task(page: Page, flash_text: str) -> None:
    page.locator("#complete-task").click()
    expect(page).to_have_url(re.compile(r"/work/$"))
    expect(page.locator(".flash-success")).to_contain_text(flash_text)


# ---- the database, read through the app (the server runs in this process) ------------------

def case_state(app, code: str) -> dict:
    from caseapp.extensions import db
    from caseapp.models import Case, CasePhoto
    with app.app_context():
        case = db.session.scalars(db.select(Case).where(Case.tracking_code == code)).one()
        photos = db.session.scalars(db.select(CasePhoto).where(CasePhoto.case_id == case.id)).all()
        state = {"status": case.status, "phase": case.phase,
                 "agency": case.current_agency.code if case.current_agency else None,
                 "assignments": [(a.agency.code, a.outcome) for a in
                                 sorted(case.assignments, key=lambda a: a.seq)],
                 "public_response": case.public_response, "resolution": case.resolution,
                 "reject_reason": case.reject_reason,
                 "photos": [(p.content_type, p.data) for p in photos]}
        db.session.remove()
        return state


def open_item_id(app, code: str, form_key: str) -> str:
    from caseapp.extensions import db
    from caseapp.models import Case, WorkItem
    with app.app_context():
        item_id = db.session.scalars(db.select(WorkItem.id).join(
            Case, Case.id == WorkItem.case_id).where(
            Case.tracking_code == code, WorkItem.form_key == form_key,
            WorkItem.state == "open")).one()
        db.session.remove()
        return item_id


def create_case(app, agency: str | None = None, **overrides) -> str:
    """A report made straight through the services (for scenarios about what comes after);
    with `agency`, the operator has already dispatched it there. Returns the tracking code."""
    from caseapp.extensions import db
    from caseapp.models import User
    from caseapp.services.cases import submission as reports
    from caseapp.services.cases import tasks as work_items
    data = {**REPORT, "email": None, "lat": None, "lon": None, "urgent": False,
            "consent_share_identity": False, **overrides}
    with app.app_context():
        case, _ = reports.submit_report(data)
        code = case.tracking_code
        db.session.remove()
    if agency:
        item_id = open_item_id(app, code, "dispatch")
        with app.app_context():
            operator = db.session.scalars(db.select(User).where(User.username == "operator")).one()
            work_items.complete(operator, item_id, {"action": "dispatch", "agency": agency,
                                                    "urgent": False, "note": None})
            db.session.remove()
    return code
