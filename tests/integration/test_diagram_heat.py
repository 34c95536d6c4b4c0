"""The live diagram's figures per task (issue 9), from the dashboard's province of cases built
through the real services under a frozen clock (see test_dashboard.py for the story).

At 16:30 on Tuesday 10 March 2026: open tasks — dispatch C, E (C late); handle B at health (late),
F at police (late since 27 February); publish D. Completed in the last 30 days (27 Feb included):
dispatch F 30 min, A 1 h, B 1 h, B again 30 min, D 3 h; handle A 1 h, B 30 min (returned),
D 3 h; publish A 1 h.
"""
from __future__ import annotations

from freezegun import freeze_time

from .test_dashboard import NOW, _holidays_computed, province  # noqa: F401 (fixtures)
from .test_views_process import login as login_now


def login(client, username):
    with freeze_time(NOW):  # the session is as old as the frozen clock says
        login_now(client, username)


def heat(client, **args):
    with freeze_time(NOW):
        return client.get("/process/figures", query_string=args,
                          headers={"Accept": "application/json"})


def by_task(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return {t["id"]: t for t in response.get_json()["tasks"]}


def figures(task: dict) -> tuple:
    return (task["waiting"], task["overdue"], task["completed"], task["median_seconds"],
            task["p90_seconds"], task["heat"])


def test_every_task_of_the_active_version_with_its_figures(province, client):
    login(client, "designer")
    response = heat(client)
    tasks = by_task(response)
    assert {"dispatch", "handle", "publish"} <= set(tasks)
    # dispatch: 1800, 1800, 3600, 3600, 10800 -> median 3600, p90 3600 + 0.6 * 7200
    assert figures(tasks["dispatch"]) == (2, 1, 5, 3600, 7920, 4)
    # handle: 1800, 3600, 10800 -> p90 3600 + 0.8 * 7200
    assert figures(tasks["handle"]) == (2, 2, 3, 3600, 9360, 4)
    assert figures(tasks["publish"]) == (1, 0, 1, 3600, 3600, 2)
    assert tasks["dispatch"]["median_text"] == "1 giờ 00 phút"
    assert tasks["dispatch"]["name"] == "Tiếp nhận và chuyển xử lý"
    body = response.get_json()
    assert body["filters"] == {"from": "2026-02-09", "to": "2026-03-10"}
    assert body["version"]["process_id"] == "field_report"
    others = [t for i, t in tasks.items() if i not in ("dispatch", "handle", "publish")]
    assert all(figures(t) == (0, 0, 0, None, None, 0) for t in others)


def test_filters_by_agency_and_period(province, client):
    login(client, "designer")
    police = by_task(heat(client, agency="police"))
    assert figures(police["handle"]) == (1, 1, 3, 3600, 9360, 4)
    assert figures(police["dispatch"]) == (0, 0, 0, None, None, 0)
    assert figures(police["publish"]) == (0, 0, 0, None, None, 0)
    health = by_task(heat(client, agency="health"))
    assert figures(health["handle"]) == (1, 1, 0, None, None, 4)
    day = by_task(heat(client, **{"from": "2026-02-27", "to": "2026-02-27"}))
    assert figures(day["dispatch"]) == (2, 1, 1, 1800, 1800, 4)  # waiting and overdue are now
    assert figures(day["handle"])[2:5] == (0, None, None)


def test_bad_filters_are_a_422_in_json_and_form_errors_on_the_page(province, client):
    login(client, "designer")
    for args, field in (({"from": "2026-13-01"}, "from"), ({"agency": "nope"}, "agency"),
                        ({"from": "2026-03-10", "to": "2026-03-01"}, "to"),
                        ({"from": "2020-01-01", "to": "2026-03-01"}, "to")):
        response = heat(client, **args)
        assert response.status_code == 422, args
        assert field in response.get_json()["error"]["fields"], args
    with freeze_time(NOW):
        page = client.get("/process/", query_string={"agency": "nope", "to": "x"})
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'id="live-agency-error"' in body and 'id="live-to-error"' in body
    assert 'id="live-table"' in body


def test_the_page_shows_the_table(province, client):
    login(client, "designer")
    with freeze_time(NOW):
        body = client.get("/process/", query_string={"agency": "police"}).get_data(as_text=True)
    row = body.split('<tr data-task="handle"', 1)[1].split("</tr>", 1)[0]
    assert 'data-col="waiting">1<' in row and 'data-col="overdue">1<' in row
    assert 'data-col="median_text">1 giờ 00 phút<' in row
    assert 'id="live-data"' in body


def test_only_designers_and_admins(province, client):
    login(client, "operator")
    assert heat(client).status_code == 403
    with freeze_time(NOW):
        client.post("/logout")
    login(client, "admin")
    assert heat(client).status_code == 200
