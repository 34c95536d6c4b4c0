"""Scenario 3: the portal rejects a report (as spam, or as a duplicate of an earlier one); the
citizen's tracking page says so and shows the reply."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from .helpers import (VI, case_state, create_case, login, open_task_from_queue, send_report,
                      submit_task)

REFUSED = "Cổng Thông tin điện tử tỉnh Cà Mau không tiếp nhận phản ánh này."


def test_report_rejected_as_spam(new_context, live_server, shot):
    citizen = new_context("phone").new_page()
    code = send_report(citizen, shot, data={
        "category": "other", "description": "Bán đất nền giá rẻ, liên hệ ngay 0909 000 111!!!"})
    shot(citizen, "citizen-code")

    operator = new_context("desktop").new_page()
    login(operator, "operator")
    open_task_from_queue(operator, code, VI["task_dispatch"])
    operator.get_by_label("Không tiếp nhận phản ánh").check()
    expect(operator.locator("#agency")).to_be_hidden()
    operator.locator("#reject_reason").select_option("spam")
    expect(operator.locator("#duplicate_of")).to_be_hidden()
    shot(operator, "operator-reject-spam")
    submit_task(operator, VI["rejected"])
    state = case_state(live_server.app, code)
    assert state["status"] == "rejected" and state["reject_reason"] == "spam"
    assert state["assignments"] == []

    citizen.goto(f"/track/{code}")
    expect(citizen.locator("#status")).to_have_text(VI["status_rejected"])
    reply = citizen.locator("#reply")
    expect(reply).to_contain_text(REFUSED)
    expect(reply).to_contain_text("tin rác, quảng cáo")
    assert state["public_response"] in reply.inner_text()
    expect(citizen.locator("#phase")).to_have_count(0)
    shot(citizen, "citizen-track-rejected")


def test_report_rejected_as_duplicate(new_context, live_server, shot):
    original = create_case(live_server.app, description="Cây đổ chắn ngang đường Phan Ngọc Hiển, "
                                                        "xe máy không qua được.")
    citizen = new_context("phone").new_page()
    code = send_report(citizen, data={"category": "disaster",
                                      "description": "Cây đổ trên đường Phan Ngọc Hiển sau cơn "
                                                     "giông chiều nay."})

    operator = new_context("desktop").new_page()
    login(operator, "operator")
    open_task_from_queue(operator, code, VI["task_dispatch"])
    operator.get_by_label("Không tiếp nhận phản ánh").check()
    operator.locator("#reject_reason").select_option("duplicate")
    expect(operator.locator("#duplicate_of")).to_be_visible()
    # A code that matches no report is refused on the field.
    operator.locator("#duplicate_of").fill("CM-ZZZZ-ZZZZ")
    operator.locator("#complete-task").click()
    expect(operator.locator("#field-duplicate_of .field-error")).to_have_text(
        "Không có phản ánh nào khác mang mã tra cứu này.")
    expect(operator.locator("#duplicate_of")).to_have_value("CM-ZZZZ-ZZZZ")
    shot(operator, "operator-duplicate-unknown-code")
    assert case_state(live_server.app, code)["status"] == "open"

    operator.locator("#duplicate_of").fill(original.lower())  # the form accepts lower case
    submit_task(operator, VI["rejected"])
    state = case_state(live_server.app, code)
    assert state["status"] == "rejected" and state["reject_reason"] == "duplicate"

    citizen.goto(f"/track/{code}")
    expect(citizen.locator("#status")).to_have_text(VI["status_rejected"])
    expect(citizen.locator("#reply")).to_contain_text(REFUSED)
    expect(citizen.locator("#reply")).to_contain_text(re.compile(
        r"trùng với một phản ánh đã được tiếp nhận \(mã " + original + r"\)"))
    shot(citizen, "citizen-track-duplicate")
