"""Staff work queue and task pages: who sees what, claiming, the three task forms, conflicts."""
from __future__ import annotations

import re

from .web import case_row, complete, login, open_item, send_report, text


def english(client):
    client.get("/lang/en")


def test_operator_queue_lists_the_new_report(seeded, client):
    code = send_report(client, urgent="y")
    login(client, "operator")
    english(client)
    response = client.get("/work/")
    page = text(response)
    assert response.status_code == 200
    item = open_item(code, "dispatch")
    assert f'id="item-{item.id}"' in page and code in page
    assert "Nhiều trường hợp sốt xuất huyết" in page          # the title
    assert "Health" in page                                   # category, in English
    assert 'badge-urgent' in page                             # urgent badge
    assert re.search(r"\d+ h \d+ min left|\d+ min left|\d+ d \d+ h left", page)   # time left
    assert f'id="claim-{item.id}"' in page
    assert 'class="table-wrap"' in page
    assert 'hx-trigger="every 20s"' in page and "/static/vendor/htmx/htmx.min.js" in page


def test_overdue_items_are_red_and_filterable(seeded, client):
    from datetime import timedelta

    from caseapp.extensions import db
    from caseapp.models import utcnow
    late = send_report(client)
    fresh = send_report(client, description="Cây đổ chắn ngang đường ở phường 5")
    item = open_item(late, "dispatch")
    item.due_at = utcnow() - timedelta(hours=3)
    db.session.commit()
    login(client, "operator")
    english(client)
    page = text(client.get("/work/"))
    row = page[page.index(f'id="item-{item.id}"'):]
    row = row[:row.index("</tr>")]
    assert "row-overdue" in page[page.index(f'id="item-{item.id}"') - 80:page.index(f'id="item-{item.id}"') + 80]
    assert 'class="overdue"' in row and "overdue by 3 h" in row and "badge-overdue" in row
    only_late = text(client.get("/work/", query_string={"overdue": "1"}))
    assert late in only_late and fresh not in only_late
    not_late = text(client.get("/work/", query_string={"overdue": "0"}))
    assert fresh in not_late and late not in not_late


def test_queue_filters_sorting_and_paging(seeded, client):
    codes = [send_report(client, category="weather" if i % 2 else "health",
                         urgent="y" if i == 0 else "") for i in range(27)]
    login(client, "operator")
    english(client)
    first = text(client.get("/work/"))
    assert "27 tasks" in first and "Page 1 of 2" in first and 'id="page-next"' in first
    second = text(client.get("/work/", query_string={"page": 2}))
    assert len(re.findall(r'<tr id="item-', second)) == 2
    urgent = text(client.get("/work/", query_string={"urgent": "1"}))
    assert "1 task" in urgent and codes[0] in urgent
    weather = text(client.get("/work/", query_string={"category": "weather"}))
    assert "13 tasks" in weather
    newest = text(client.get("/work/", query_string={"sort": "-created_at"}))
    oldest = text(client.get("/work/", query_string={"sort": "created_at"}))
    assert newest.index(codes[-1]) < newest.index(codes[-2])
    assert oldest.index(codes[0]) < oldest.index(codes[1])
    assert "0 tasks" in text(client.get("/work/", query_string={"task": "publish"}))
    # a bad sort or page never breaks the page
    assert client.get("/work/", query_string={"sort": "drop table", "page": "x"}).status_code == 200


def test_claim_and_release(seeded, client):
    code = send_report(client)
    item = open_item(code, "dispatch")
    login(client, "operator")
    english(client)
    response = client.post(f"/work/items/{item.id}/claim", data={"next": "/work/"})
    assert response.status_code == 302 and response.headers["Location"] == "/work/"
    page = text(client.get("/work/", query_string={"claimed": "me"}))
    assert code in page and "operator" in page and f'id="unclaim-{item.id}"' in page
    assert code not in text(client.get("/work/", query_string={"claimed": "none"}))
    # the supervisor sees who holds it and cannot complete it
    login(client, "supervisor")
    english(client)
    task = text(client.get(f"/work/items/{item.id}"))
    assert "Claimed by operator" in task and "only they can complete it" in task
    refused = client.post(f"/work/items/{item.id}", data={"action": "dispatch", "agency": "health"})
    assert refused.status_code == 409 and "claimed this task" in text(refused)
    # an open redirect is refused
    login(client, "operator")
    response = client.post(f"/work/items/{item.id}/unclaim", data={"next": "//evil.example"})
    assert response.headers["Location"] == "/work/"
    assert open_item(code, "dispatch").claimed_by_id is None


def test_rows_partial_for_htmx(seeded, client):
    code = send_report(client)
    login(client, "operator")
    response = client.get("/work/rows", headers={"HX-Request": "true"})
    body = text(response)
    assert response.status_code == 200 and code in body and "<html" not in body


def test_rows_partial_after_the_session_expired_sends_to_login(seeded, client):
    response = client.get("/work/rows", query_string={"urgent": "1"}, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/login?next=")


def test_officer_sees_only_own_agency_items(seeded, client):
    code = send_report(client)
    login(client, "officer.health")
    assert code not in text(client.get("/work/"))             # portal task: not theirs
    dispatch = open_item(code, "dispatch")
    assert client.get(f"/work/items/{dispatch.id}").status_code == 403
    login(client, "operator")
    complete(client, code, "dispatch", {"action": "dispatch", "agency": "health"})
    handle = open_item(code, "handle")
    login(client, "officer.health")
    assert code in text(client.get("/work/"))
    assert client.get(f"/work/items/{handle.id}").status_code == 200
    login(client, "officer.police")
    english(client)
    assert code not in text(client.get("/work/"))
    forbidden = client.get(f"/work/items/{handle.id}")
    assert forbidden.status_code == 403 and 'data-status="403"' in text(forbidden)
    assert client.post(f"/work/items/{handle.id}/claim").status_code == 403
    assert client.post(f"/work/items/{handle.id}", data={"action": "resolve",
                                                       "result": "xong việc"}).status_code == 403
    assert client.get(f"/cases/{code}").status_code == 403


def test_roles_without_a_queue_get_403(seeded, client):
    for user in ("monitor", "designer", "admin"):
        login(client, user)
        assert client.get("/work/").status_code == 403, user


def test_unknown_work_item_is_404(seeded, client):
    login(client, "operator")
    assert client.get("/work/items/no-such-item").status_code == 404


def test_dispatch_form_errors_stay_on_the_fields(seeded, client):
    code = send_report(client)
    item = open_item(code, "dispatch")
    login(client, "operator")
    english(client)
    page = text(client.get(f"/work/items/{item.id}"))
    for fid in ("action-0", "action-1", "agency", "urgent", "note", "reject_reason", "duplicate_of",
                "complete-task"):
        assert f'id="{fid}"' in page, fid
    response = client.post(f"/work/items/{item.id}", data={"action": "dispatch", "note": "gấp"})
    body = text(response)
    assert response.status_code == 422 and 'id="agency-error"' in body and "Choose an agency" in body
    assert re.search(r">\s*gấp</textarea>", body)
    response = client.post(f"/work/items/{item.id}", data={"action": "reject",
                                                          "reject_reason": "duplicate"})
    assert response.status_code == 422 and 'id="duplicate_of-error"' in text(response)
    response = client.post(f"/work/items/{item.id}", data={
        "action": "reject", "reject_reason": "duplicate", "duplicate_of": "CM-ZZZZ-ZZZZ"})
    body = text(response)
    assert response.status_code == 422 and "No other report has this tracking code" in body
    response = client.post(f"/work/items/{item.id}", data={"action": "dispatch", "agency": "nasa"})
    assert response.status_code == 422 and "Choose an agency from the list" in text(response)
    response = client.post(f"/work/items/{item.id}", data={})
    assert response.status_code == 422 and 'id="action-error"' in text(response)
    assert open_item(code, "dispatch").id == item.id          # still open


def test_full_journey_through_the_task_pages(seeded, client):
    code = send_report(client)
    login(client, "operator")
    english(client)
    response = complete(client, code, "dispatch", {"action": "dispatch", "agency": "police",
                                                   "note": "Kiểm tra giúp"})
    assert response.headers["Location"] == "/work/"
    assert "sent to the agency" in text(client.get("/work/"))
    login(client, "officer.police")
    english(client)
    handle = open_item(code, "handle")
    page = text(client.get(f"/work/items/{handle.id}"))
    assert "Kiểm tra giúp" in page and 'id="return_reason"' in page
    bad = client.post(f"/work/items/{handle.id}", data={"action": "return", "return_reason": ""})
    assert bad.status_code == 422 and 'id="return_reason-error"' in text(bad)
    complete(client, code, "handle", {"action": "return",
                                      "return_reason": "Thuộc thẩm quyền ngành y tế"})
    login(client, "operator")
    english(client)
    redispatch = open_item(code, "dispatch")
    page = text(client.get(f"/work/items/{redispatch.id}"))
    assert "Cà Mau Provincial Police (returned this report)" in page
    assert "Thuộc thẩm quyền ngành y tế" in page            # the return reason in the history
    complete(client, code, "dispatch", {"action": "dispatch", "agency": "health"})
    login(client, "officer.health")
    complete(client, code, "handle", {"action": "resolve", "result": "Đã phun thuốc diệt muỗi."})
    login(client, "operator")
    english(client)
    publish = open_item(code, "publish")
    page = text(client.get(f"/work/items/{publish.id}"))
    # the agency's result beside an empty reply box (never pre-filled: see test_newcomer_fixes)
    assert 'id="agency-result"' in page and "Đã phun thuốc diệt muỗi." in page
    assert re.search(r'id="public_response"[^>]*>\s*</textarea>', page)
    complete(client, code, "publish", {"public_response": "Sở Y tế đã xử lý xong."})
    case = case_row(code)
    assert case.status == "closed" and case.public_response == "Sở Y tế đã xử lý xong."
    assert [a.agency.code for a in case.assignments] == ["police", "health"]


def test_task_completed_meanwhile_gives_a_clear_message(seeded, client, app):
    code = send_report(client)
    item = open_item(code, "dispatch")
    other = app.test_client()
    login(client, "operator")
    english(client)
    assert client.get(f"/work/items/{item.id}").status_code == 200   # the operator opens it…
    login(other, "supervisor")
    complete(other, code, "dispatch", {"action": "reject", "reject_reason": "spam"})  # …colleague wins
    response = client.post(f"/work/items/{item.id}", data={"action": "dispatch", "agency": "health"})
    page = text(response)
    assert response.status_code == 409
    assert 'id="task-conflict"' in page and "already been completed by a colleague" in page
    assert "Nothing was changed" in page and 'id="task-form"' not in page
    assert case_row(code).status == "rejected" and not case_row(code).assignments
    # reopening the finished task says so instead of failing
    again = text(client.get(f"/work/items/{item.id}"))
    assert 'id="task-done"' in again
    claim = client.post(f"/work/items/{item.id}/claim", data={"next": "/work/"})
    assert claim.status_code == 302
    assert "already been completed" in text(client.get("/work/"))
