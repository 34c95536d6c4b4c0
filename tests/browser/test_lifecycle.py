"""Scenario 1: a report with a photo goes through a return, a re-dispatch, a resolution and the
published reply, each step done through the pages by the person whose job it is."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from .helpers import (VI, case_state, login, open_task_from_queue, send_report, small_jpeg,
                      submit_task)

RETURN_REASON = "Đèn tín hiệu thuộc Sở Giao thông vận tải quản lý, đề nghị chuyển Sở GTVT."
RESULT = "Sở GTVT đã cử đội kỹ thuật thay bộ điều khiển đèn tín hiệu lúc 14:00; đèn hoạt động bình thường."
REPLY_EDIT = " Cảm ơn ông Bảy đã phản ánh."


def fits_width(page) -> None:
    """Nothing sticks out sideways (no horizontal scrolling at 360 px)."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the viewport"


def test_report_returned_redispatched_resolved_and_answered(new_context, live_server, shot,
                                                            tmp_path):
    app = live_server.app

    # --- the citizen, on a phone: sends a report with a photo ---------------------------------
    citizen = new_context("phone").new_page()
    citizen.goto("/")
    shot(citizen, "citizen-home")
    citizen.locator("#start-report").click()
    expect(citizen.locator("h1")).to_have_text(VI["report_title"])
    fits_width(citizen)
    photo = small_jpeg(tmp_path / "den-tin-hieu.jpg")
    code = send_report(citizen, shot, photos=[photo])
    expect(citizen.locator("#report-sent h1")).to_have_text(VI["sent_title"])
    big = citizen.locator("#tracking-code")
    expect(big).to_be_visible()
    assert float(big.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 24
    fits_width(citizen)
    shot(citizen, "citizen-tracking-code")
    state = case_state(app, code)
    assert state["status"] == "open" and state["phase"] == "dispatch"
    assert [kind for kind, _ in state["photos"]] == ["image/jpeg"]

    citizen.locator("#follow-link").click()
    expect(citizen).to_have_url(re.compile(f"/track/{code}$"))
    expect(citizen.locator("#status")).to_have_text("Đang xử lý")
    expect(citizen.locator("#reply")).to_have_count(0)
    shot(citizen, "citizen-track-open")

    # --- the operator: dispatches to the police -----------------------------------------------
    operator = new_context("desktop").new_page()
    login(operator, "operator")
    expect(operator).to_have_url(re.compile(r"/work/$"))
    expect(operator.locator("h1")).to_have_text(VI["work_queue"])
    shot(operator, "operator-queue")
    open_task_from_queue(operator, code, VI["task_dispatch"])
    expect(operator.locator("#case-description")).to_contain_text("Đèn tín hiệu giao thông")
    expect(operator.locator("#reporter-name")).to_have_text("Trần Văn Bảy")
    image = operator.locator("#case-photos img")
    expect(image).to_have_count(1)
    image.scroll_into_view_if_needed()
    operator.wait_for_function(
        "() => { const i = document.querySelector('#case-photos img');"
        " return i && i.complete && i.naturalWidth === 120; }")
    shot(operator, "operator-dispatch-task")
    operator.get_by_label("Chuyển cơ quan xử lý").check()
    operator.locator("#agency").select_option("police")
    operator.locator("#note").fill("Đề nghị Công an kiểm tra, phân luồng giao thông.")
    submit_task(operator, VI["dispatched"])
    expect(operator.locator(f'#queue-table tr[data-code="{code}"]')).to_have_count(0)
    state = case_state(app, code)
    assert state["phase"] == "handle" and state["agency"] == "police"
    assert state["assignments"] == [("police", "handling")]

    # The case page while the police hold it: the current task is marked on the diagram.
    operator.goto(f"/cases/{code}")
    expect(operator.locator("#bpmn-canvas")).to_have_attribute("data-ready", "true")
    expect(operator.locator("#bpmn-canvas svg").first).to_be_visible()
    assert operator.locator("#bpmn-canvas .djs-element.cb-ready").count() >= 1
    assert operator.locator("#bpmn-canvas .djs-element.cb-completed").count() >= 1
    shot(operator, "operator-case-at-police")

    # --- the police officer: not ours, returns it with a reason ---------------------------------
    police = new_context("desktop").new_page()
    login(police, "officer.police")
    expect(police).to_have_url(re.compile(r"/work/$"))
    open_task_from_queue(police, code, VI["task_handle"])
    # The reporter did not consent: the agency does not see the name or the phone.
    expect(police.locator("#reporter-hidden")).to_be_visible()
    expect(police.locator("#case-summary")).not_to_contain_text("0918 123 456")
    police.get_by_label("Không thuộc thẩm quyền: trả lại Cổng TTĐT").check()
    expect(police.locator("#return_reason")).to_be_visible()
    expect(police.locator("#result")).to_be_hidden()
    police.locator("#return_reason").fill(RETURN_REASON)
    shot(police, "police-return")
    submit_task(police, VI["returned"])
    state = case_state(app, code)
    assert state["phase"] == "dispatch" and state["assignments"] == [("police", "returned")]

    # --- the operator: re-dispatches to transport ------------------------------------------------
    open_task_from_queue(operator, code, VI["task_dispatch"])
    expect(operator.locator("#case-agencies")).to_contain_text(RETURN_REASON)
    police_option = operator.locator('#agency option[value="police"]')
    expect(police_option).to_contain_text("(đã trả lại phản ánh này)")
    operator.get_by_label("Chuyển cơ quan xử lý").check()
    operator.locator("#agency").select_option("transport")
    shot(operator, "operator-redispatch")
    submit_task(operator, VI["dispatched"])
    state = case_state(app, code)
    assert state["agency"] == "transport"
    assert state["assignments"] == [("police", "returned"), ("transport", "handling")]

    # --- the transport officer, on a phone in the field: resolves it ---------------------------
    transport = new_context("phone").new_page()
    login(transport, "officer.transport")
    expect(transport).to_have_url(re.compile(r"/work/$"))
    shot(transport, "transport-queue-360")
    open_task_from_queue(transport, code, VI["task_handle"])
    transport.get_by_label("Đã xử lý: báo cáo kết quả").check()
    transport.locator("#result").fill(RESULT)
    shot(transport, "transport-resolve-360")
    submit_task(transport, VI["resolved"])
    state = case_state(app, code)
    assert state["phase"] == "publish" and state["resolution"] == RESULT
    assert state["assignments"] == [("police", "returned"), ("transport", "resolved")]

    # --- the operator: the agency's result beside an empty reply box, written from it -----------
    open_task_from_queue(operator, code, VI["task_publish"])
    expect(operator.locator("#agency-result")).to_contain_text(RESULT)
    reply_box = operator.locator("#public_response")
    expect(reply_box).to_have_value("")
    reply_box.fill(RESULT + REPLY_EDIT)
    shot(operator, "operator-publish")
    submit_task(operator, VI["published"])
    state = case_state(app, code)
    assert state["status"] == "closed" and state["public_response"] == RESULT + REPLY_EDIT

    # The case page: the agencies in order, and the diagram with the completed steps.
    operator.goto(f"/cases/{code}")
    rows = operator.locator("#case-agencies tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Công an tỉnh Cà Mau")
    expect(rows.nth(0)).to_contain_text("đã trả lại")
    expect(rows.nth(1)).to_contain_text("Sở Giao thông vận tải")
    expect(rows.nth(1)).to_contain_text("đã xử lý")
    expect(operator.locator("#case-reply")).to_have_text(RESULT + REPLY_EDIT)
    expect(operator.locator("#bpmn-canvas")).to_have_attribute("data-ready", "true")
    expect(operator.locator("#diagram-error")).to_be_hidden()
    assert operator.locator("#bpmn-canvas svg").count() >= 1
    assert operator.locator("#bpmn-canvas .djs-element.cb-completed").count() >= 3
    assert operator.locator("#bpmn-canvas .djs-element.cb-ready").count() == 0
    shot(operator, "operator-case-closed")

    # --- the citizen: the tracking page shows the answer --------------------------------------------
    citizen.reload()
    expect(citizen.locator("#status")).to_have_text(VI["status_closed"])
    expect(citizen.locator("#reply h2")).to_have_text(VI["reply_heading"])
    expect(citizen.locator("#reply")).to_contain_text(RESULT + REPLY_EDIT)
    expect(citizen.locator("#phase")).to_have_count(0)
    expect(citizen.locator("#timeline")).to_contain_text("Sở Giao thông vận tải")
    fits_width(citizen)
    shot(citizen, "citizen-track-answered")
