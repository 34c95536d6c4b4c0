"""Scenario 5: an officer of another agency cannot open a case held by the police (the 403 page,
in the visitor's language, with a way back), while the police officer can."""
from __future__ import annotations

from playwright.sync_api import expect

from .helpers import VI, create_case, login, open_item_id


def test_officer_cannot_open_another_agencys_case(new_context, live_server, shot):
    app = live_server.app
    code = create_case(app, agency="police", description="Nhóm thanh niên tụ tập đua xe trái "
                                                          "phép trên cầu Gành Hào lúc nửa đêm.")
    item_id = open_item_id(app, code, "handle")

    health = new_context("desktop").new_page()
    login(health, "officer.health")
    health.goto("/work/?sort=-created_at")
    expect(health.locator("#queue-scope")).to_contain_text("Sở Y tế")
    expect(health.locator(f'tr[data-code="{code}"]')).to_have_count(0)

    for path, step in ((f"/cases/{code}", "health-case-403"),
                       (f"/work/items/{item_id}", "health-task-403")):
        response = health.goto(path)
        assert response.status == 403, (path, response.status)
        expect(health.locator("#error")).to_have_attribute("data-status", "403")
        expect(health.locator("h1")).to_have_text(VI["forbidden"])
        expect(health.locator("#error-message")).to_contain_text("Tài khoản của bạn không")
        expect(health.locator("#main")).not_to_contain_text("đua xe trái phép")
        expect(health.get_by_role("link", name="Quay lại danh sách việc")).to_be_visible()
        shot(health, step)

    # Nor the diagram data, nor a forged submission of the task.
    response = health.goto(f"/cases/{code}/diagram")
    assert response.status == 403
    health.goto("/work/")
    status = health.evaluate("""async (url) => {
        const token = document.querySelector('input[name="csrf_token"]').value;
        const body = new URLSearchParams({csrf_token: token, action: 'return',
                                          return_reason: 'Không phải việc của chúng tôi'});
        const r = await fetch(url, {method: 'POST', body, redirect: 'manual'});
        return r.status; }""", f"/work/items/{item_id}")
    assert status == 403

    # In English the page says the same.
    health.goto(f"/lang/en?next=/cases/{code}")
    expect(health.locator("h1")).to_have_text("You do not have access to this page")
    shot(health, "health-case-403-en")

    # The police officer, whose agency holds it, opens both.
    police = new_context("phone").new_page()
    login(police, "officer.police")
    assert police.goto(f"/cases/{code}").status == 200
    expect(police.locator("#case-description")).to_contain_text("đua xe trái phép")
    response = police.goto(f"/work/items/{item_id}")
    assert response.status == 200
    expect(police.locator("#task-title")).to_contain_text(VI["task_handle"])
    shot(police, "police-task-360")
