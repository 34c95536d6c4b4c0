"""Scenario 4: forms sent with mistakes come back with the errors on the fields and what was typed
kept — the citizen's report form and a staff task form."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from .helpers import (REPORT, VI, case_state, create_case, fill_report, login,
                      open_task_from_queue, open_item_id)


def post_response(page, path: str):
    """Wait for the POST to `path` that the next action sends."""
    return page.expect_response(
        lambda r: r.request.method == "POST" and r.url.split("?")[0].endswith(path))


def test_report_form_errors_keep_the_typed_values(phone, live_server, shot):
    page = phone
    page.goto("/report")
    fill_report(page, {"phone": "12345", "description": ""})
    page.locator("#urgent").check()
    page.locator("#consent_share_identity").check()
    with post_response(page, "/report") as response:
        page.locator("#submit-report").click()
    assert response.value.status == 422
    expect(page.locator("#form-errors")).to_contain_text(VI["fix_fields"])

    # The errors sit on their fields, tied to the inputs for screen readers.
    expect(page.locator("#field-phone .field-error")).to_have_text(VI["bad_phone"])
    expect(page.locator("#phone")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#phone")).to_have_attribute("aria-describedby", re.compile("phone-error"))
    expect(page.locator("#field-description .field-error")).to_have_text(VI["required"])
    expect(page.locator("#description")).to_have_attribute("aria-invalid", "true")
    for ok in ("full_name", "email", "category", "address"):
        expect(page.locator(f"#field-{ok} .field-error")).to_have_count(0)

    # Everything typed is still there.
    expect(page.locator("#full_name")).to_have_value(REPORT["full_name"])
    expect(page.locator("#phone")).to_have_value("12345")
    expect(page.locator("#email")).to_have_value(REPORT["email"])
    expect(page.locator("#category")).to_have_value(REPORT["category"])
    expect(page.locator("#address")).to_have_value(REPORT["address"])
    expect(page.locator("#urgent")).to_be_checked()
    expect(page.locator("#consent_share_identity")).to_be_checked()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.locator("#field-phone").scroll_into_view_if_needed()
    shot(page, "report-errors-360")

    # Corrected, it goes through.
    page.locator("#phone").fill("0918 123 456")
    page.locator("#description").fill("Nước ngập sâu 40 cm trên đường Nguyễn Tất Thành.")
    page.locator("#submit-report").click()
    expect(page).to_have_url(re.compile(r"/report/sent$"))
    code = page.locator("#tracking-code").inner_text().strip()
    state = case_state(live_server.app, code)
    assert state["status"] == "open"
    shot(page, "report-sent-after-fix")


def test_task_form_missing_fields_show_field_errors(desktop, live_server, shot):
    app = live_server.app
    code = create_case(app, description="Rác thải tràn ra đường ở chợ phường 7, bốc mùi hôi.")
    page = desktop
    login(page, "operator")
    open_task_from_queue(page, code, VI["task_dispatch"])
    item_path = f"/work/items/{open_item_id(app, code, 'dispatch')}"

    # No decision at all.
    with post_response(page, item_path) as response:
        page.locator("#complete-task").click()
    assert response.value.status == 422
    expect(page.locator("#form-errors")).to_contain_text(VI["fix_fields"])
    expect(page.locator("#field-action .field-error")).to_have_text("Hãy chọn cách xử lý.")
    shot(page, "dispatch-no-decision")

    # "Send to an agency" without the agency.
    page.get_by_label("Chuyển cơ quan xử lý").check()
    page.locator("#note").fill("Ghi chú cho cơ quan")
    with post_response(page, item_path) as response:
        page.locator("#complete-task").click()
    assert response.value.status == 422
    expect(page.locator("#field-agency .field-error")).to_have_text(VI["choose_agency"])
    expect(page.locator("#agency")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#field-action .field-error")).to_have_count(0)
    expect(page.get_by_label("Chuyển cơ quan xử lý")).to_be_checked()
    expect(page.locator("#note")).to_have_value("Ghi chú cho cơ quan")
    shot(page, "dispatch-no-agency")
    state = case_state(app, code)
    assert state["status"] == "open" and state["phase"] == "dispatch" and state["assignments"] == []

    # The publish form: the reply cannot be left empty.
    code = create_case(app, agency="tnmt", description="Khói đen từ lò gạch ở ấp 3 gây khó thở.")
    from caseapp.extensions import db
    from caseapp.models import User
    from caseapp.services.cases import tasks as work_items
    with app.app_context():
        officer = db.session.scalars(db.select(User).where(User.username == "officer.tnmt")).one()
        work_items.complete(officer, open_item_id(app, code, "handle"),
                            {"action": "resolve", "result": "Đã kiểm tra và xử phạt lò gạch."})
        db.session.remove()
    open_task_from_queue(page, code, VI["task_publish"])
    expect(page.locator("#agency-result")).to_contain_text("Đã kiểm tra và xử phạt lò gạch.")
    expect(page.locator("#public_response")).to_have_value("")  # never pre-filled
    with post_response(page, f"/work/items/{open_item_id(app, code, 'publish')}") as response:
        page.locator("#complete-task").click()
    assert response.value.status == 422
    expect(page.locator("#field-public_response .field-error")).to_have_text(VI["required"])
    shot(page, "publish-empty-reply")
    assert case_state(app, code)["status"] == "open"
