"""The leaders' figures, built from cases run through the real services under a frozen clock.

One province on a working day (Tuesday 10 March 2026, local time), the clock ends at 16:30:

- A (security, Cà Mau city): dispatched 09:00 to police, resolved 10:00, reply published 11:00.
- B (security): dispatched 09:00 to police, returned 09:30 (inside the return window),
  re-dispatched 10:00 to health, which has not handled it (due 14:00: late, still open).
- C (health, Cà Mau city): never dispatched (due 10:00: late, still open).
- D (security): dispatched late at 12:00 to police, urgent; resolved 15:00 (due 16:00); the
  reply is due 17:00 (not yet due: not counted).
- E (health): received 16:00; its dispatch is not yet due.
- F (security): received 27 February, dispatched to police, never handled (late since then).
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from caseapp.extensions import db
from caseapp.models import User

from .helpers import Api

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = datetime(2026, 3, 10, tzinfo=LOCAL)  # a Tuesday, a working day
NOW = DAY.replace(hour=16, minute=30)


def at(hour: int, minute: int = 0) -> datetime:
    return DAY.replace(hour=hour, minute=minute)


def user(username: str) -> User:
    return db.session.scalars(db.select(User).where(User.username == username)).one()


def submit(name: str, category: str, district: str | None = None) -> str:
    from caseapp.services.cases.submission import submit_report
    data = {"full_name": "Nguyễn Văn Dân", "phone": "0912345678", "category": category,
            "description": f"Phản ánh {name}: cần xử lý", "address": "Phường 5, TP Cà Mau"}
    if district:
        data["district"] = district
    case, _ = submit_report(data)
    return case.tracking_code


def item_for(username: str, code: str) -> str:
    from caseapp.services.reads.queries import QueueFilters, work_queue
    items, _ = work_queue(user(username), QueueFilters(per_page=200))
    [item] = [i for i in items if i["tracking_code"] == code]
    return item["id"]


def complete(username: str, code: str, data: dict) -> None:
    from caseapp.services.cases.tasks import complete as complete_task
    complete_task(user(username), item_for(username, code), data)


def dispatch(code: str, agency: str, urgent: bool = False) -> None:
    complete("operator", code, {"action": "dispatch", "agency": agency, "urgent": urgent,
                                "note": None})


def resolve(agency: str, code: str) -> None:
    complete(f"officer.{agency}", code, {"action": "resolve", "result": "Đã xử lý xong."})


def give_back(agency: str, code: str) -> None:
    complete(f"officer.{agency}", code, {"action": "return",
                                         "return_reason": "Không thuộc thẩm quyền"})


def publish(code: str) -> None:
    complete("operator", code, {"public_response": "Cảm ơn bạn, sự việc đã được giải quyết."})


@pytest.fixture(scope="module", autouse=True)
def _holidays_computed():
    """The calendar computes a year's public holidays on first use (seconds on a loaded
    machine); done here, so the deploy's 1-second sandbox budget never pays for it."""
    from datetime import date

    from caseapp.calendar.days import public_holiday_name
    for year in range(2026, datetime.now().year + 2):
        public_holiday_name(date(year, 1, 1))


@pytest.fixture
def province(seeded):
    codes = {}
    with freeze_time(datetime(2026, 2, 27, 10, tzinfo=LOCAL)) as clock:
        codes["F"] = submit("F", "security")
        clock.move_to(datetime(2026, 2, 27, 10, 30, tzinfo=LOCAL))
        dispatch(codes["F"], "police")
    with freeze_time(at(8)) as clock:
        codes["A"] = submit("A", "security", "camau")
        codes["B"] = submit("B", "security")
        codes["C"] = submit("C", "health", "camau")
        clock.move_to(at(9))
        codes["D"] = submit("D", "security")
        dispatch(codes["A"], "police")
        dispatch(codes["B"], "police")
        clock.move_to(at(9, 30))
        give_back("police", codes["B"])
        clock.move_to(at(10))
        resolve("police", codes["A"])
        dispatch(codes["B"], "health")
        clock.move_to(at(11))
        publish(codes["A"])
        clock.move_to(at(12))
        dispatch(codes["D"], "police", urgent=True)
        clock.move_to(at(15))
        resolve("police", codes["D"])
        clock.move_to(at(16))
        codes["E"] = submit("E", "health")
    return codes


def figures_for(username: str, args: dict | None = None):
    from caseapp.services.figures.filters import parse_filters
    from caseapp.services.figures.stats import all_figures
    with freeze_time(NOW):
        now = datetime.now(LOCAL)
        return all_figures(parse_filters(user(username), args or {}, now), now)


def agency_id(code: str) -> int:
    from caseapp.models import Agency
    return db.session.scalars(db.select(Agency.id).where(Agency.code == code)).one()


def on_time_rows(figures) -> dict:
    return {(r["phase"], r["agency_id"]): (r["on_time"], r["late"], r["open_late"], r["rate"])
            for r in figures["on_time"]}


def check_province(figures, codes) -> None:
    police, health = agency_id("police"), agency_id("health")
    assert figures["received"] == {"period": 5, "today": 5, "week": 5, "month": 5}
    assert figures["open"]["by_phase"] == {"dispatch": 2, "handle": 2, "publish": 1}
    assert figures["open"]["by_agency"] == {None: 2, health: 1, police: 2}
    assert figures["overdue"]["by_phase"] == {"handle": 2, "dispatch": 1}
    assert figures["overdue"]["by_agency"] == {None: 1, health: 1, police: 1}
    assert on_time_rows(figures) == {
        ("dispatch", None): (3, 2, 1, 0.6),
        ("handle", police): (3, 0, 0, 1.0),
        ("handle", health): (0, 1, 1, 0.0),
        ("publish", None): (1, 0, 0, 1.0),
    }
    assert figures["returns"] == [
        {"agency_id": police, "received": 3, "returned": 1, "late_returns": 0, "rate": 0.3333},
        {"agency_id": health, "received": 1, "returned": 0, "late_returns": 0, "rate": 0.0}]
    assert figures["bounces"] == [{"from_agency_id": police, "to_agency_id": health, "count": 1}]
    assert figures["durations"] == [
        {"phase": "dispatch", "count": 4, "median_seconds": 3600, "p90_seconds": 8640},
        {"phase": "handle", "count": 3, "median_seconds": 3600, "p90_seconds": 9360},
        {"phase": "publish", "count": 1, "median_seconds": 3600, "p90_seconds": 3600}]
    categories = {c: v for c, v in figures["by_category"].items()}
    from caseapp.models import Category, District
    ids = dict(db.session.execute(db.select(Category.code, Category.id)).all())
    assert categories == {ids["security"]: {"received": 3, "open": 2, "closed": 1},
                          ids["health"]: {"received": 2, "open": 2, "closed": 0}}
    camau = db.session.scalars(db.select(District.id).where(District.code == "camau")).one()
    assert figures["by_district"] == {camau: {"received": 2, "open": 1, "closed": 1},
                                      None: {"received": 3, "open": 3, "closed": 0}}
    days = figures["trend"]["day"]
    assert [d["day"].day for d in days] == list(range(1, 11))
    assert [(d["received"], d["closed"]) for d in days] == [(0, 0)] * 9 + [(5, 1)]
    assert [(w["week"].isoformat(), w["received"], w["closed"]) for w in figures["trend"]["week"]] \
        == [("2026-02-23", 0, 0), ("2026-03-02", 0, 0), ("2026-03-09", 5, 1)]
    assert figures["urgent"]["received"] == 1 and figures["urgent"]["open"] == 1
    assert [r["tracking_code"] for r in figures["urgent"]["open_cases"]] == [codes["D"]]
    worst = figures["worst_open"]
    assert [r["tracking_code"] for r in worst] == [codes["F"], codes["C"], codes["B"]]
    assert worst[1]["late_seconds"] == int((NOW - at(10)).total_seconds())


def test_province_figures_before_and_after_the_sweep(province):
    from caseapp.services.cases.deadlines import sweep
    check_province(figures_for("monitor"), province)
    check_province(figures_for("supervisor"), province)
    with freeze_time(NOW):
        assert sweep() >= 3  # B's handling, C's dispatch, F's handling (and return windows)
    check_province(figures_for("monitor"), province)


def test_a_late_task_done_later_stays_late_and_is_no_longer_open(province):
    with freeze_time(NOW):
        resolve("health", province["B"])
    rows = on_time_rows(figures_for("monitor"))
    assert rows[("handle", agency_id("health"))] == (0, 1, 0, 0.0)
    assert figures_for("monitor")["overdue"]["by_phase"] == {"handle": 1, "dispatch": 1}


def test_filters_cut_every_figure(province):
    health_cases = figures_for("monitor", {"category": "health"})
    assert health_cases["received"]["period"] == 2
    assert health_cases["open"]["by_phase"] == {"dispatch": 2}
    assert on_time_rows(health_cases) == {("dispatch", None): (0, 1, 1, 0.0)}
    camau = figures_for("monitor", {"district": "camau"})
    assert camau["received"]["period"] == 2
    assert [r["tracking_code"] for r in camau["worst_open"]] == [province["C"]]
    february = figures_for("monitor", {"from": "2026-02-01", "to": "2026-02-28"})
    assert february["received"]["period"] == 1
    assert on_time_rows(february) == {("dispatch", None): (1, 0, 0, 1.0),
                                      ("handle", agency_id("police")): (0, 1, 1, 0.0)}
    assert february["received"]["today"] == 5  # "today" is today whatever the period


def test_an_agency_leader_sees_only_their_agency(province):
    police = agency_id("police")
    figures = figures_for("leader.police")
    assert figures["filters"].agency == "police"
    assert figures["received"]["period"] == 3  # A, B, D: the cases police held
    assert figures["open"]["by_phase"] == {"publish": 1, "handle": 1}  # D, F
    assert figures["overdue"]["by_agency"] == {police: 1}
    assert on_time_rows(figures) == {("handle", police): (3, 0, 0, 1.0)}
    assert [r["agency_id"] for r in figures["returns"]] == [police]
    assert [r["tracking_code"] for r in figures["worst_open"]] == [province["F"]]
    # the same as the monitor asking for police
    assert on_time_rows(figures_for("monitor", {"agency": "police"})) == on_time_rows(figures)


def test_scope_is_enforced_by_the_service(province):
    from caseapp.services.errors import Forbidden, ValidationFailed
    from caseapp.services.figures.filters import parse_filters
    now = NOW
    with pytest.raises(Forbidden):
        parse_filters(user("leader.police"), {"agency": "health"}, now)
    for username in ("officer.police", "operator", "designer", "admin"):
        with pytest.raises(Forbidden):
            parse_filters(user(username), {}, now)
    with pytest.raises(ValidationFailed) as bad:
        parse_filters(user("monitor"), {"from": "2026-13-01", "to": "2026-03-01",
                                        "category": "nope"}, now)
    assert set(bad.value.fields) == {"from", "category"}
    with pytest.raises(ValidationFailed) as reversed_period:
        parse_filters(user("monitor"), {"from": "2026-03-10", "to": "2026-03-01"}, now)
    assert set(reversed_period.value.fields) == {"to"}


def test_dashboard_queries_do_not_grow_with_the_cases(province):
    """A fixed number of SQL statements whatever the number of cases (no N+1)."""
    from sqlalchemy import event
    statements = []

    def count(*args, **kwargs):
        statements.append(1)

    def run() -> int:
        db.session.expire_all()
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            figures_for("monitor")
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    before = run()
    with freeze_time(at(16, 5)):
        for i in range(4):
            code = submit(f"G{i}", "disaster", "namcan")
            dispatch(code, "tnmt", urgent=True)
    assert run() == before


# ---- GET /api/v1/stats ----------------------------------------------------------------------------

def test_api_stats_contract(province, client):
    api = Api(client)
    with freeze_time(NOW):
        response = api.call("GET", "/api/v1/stats", "monitor")
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["received"] == 5
        assert body["open_by_phase"] == {"dispatch": 2, "handle": 2, "publish": 1}
        assert body["overdue_by_phase"] == {"handle": 2, "dispatch": 1}
        rows = sorted(body["on_time"], key=lambda r: (r["phase"], r["agency"] or ""))
        assert rows == [
            {"phase": "dispatch", "agency": None, "on_time": 3, "late": 2, "open_late": 1, "rate": 0.6},
            {"phase": "handle", "agency": "health", "on_time": 0, "late": 1, "open_late": 1, "rate": 0.0},
            {"phase": "handle", "agency": "police", "on_time": 3, "late": 0, "open_late": 0, "rate": 1.0},
            {"phase": "publish", "agency": None, "on_time": 1, "late": 0, "open_late": 0, "rate": 1.0}]
        assert not any(r["phase"] == "return" for r in body["on_time"])
        assert body["period"] == {"from": "2026-03-01", "to": "2026-03-10"}
        assert body["bounces"] == [{"from": "police", "to": "health", "count": 1}]
        assert body["received_today"] == 5 and body["urgent"]["open"] == 1
        assert body["worst_open"][0]["tracking_code"] == province["F"]
        assert body["time_per_phase"][0] == {"phase": "dispatch", "count": 4,
                                             "median_seconds": 3600, "p90_seconds": 8640}

        health = api.call("GET", "/api/v1/stats", "monitor",
                          query_string={"category": "health", "from": "2026-03-10",
                                        "to": "2026-03-10"}).get_json()
        assert health["received"] == 2 and health["filters"]["category"] == "health"

        police = api.call("GET", "/api/v1/stats", "leader.police").get_json()
        assert police["filters"]["agency"] == "police"
        assert [r["agency"] for r in police["on_time"]] == ["police"]
        assert police["open_by_phase"] == {"publish": 1, "handle": 1}

        other = api.call("GET", "/api/v1/stats", "leader.police", query_string={"agency": "health"})
        assert other.status_code == 403 and other.get_json()["error"]["code"] == "forbidden"
        officer = api.call("GET", "/api/v1/stats", "officer.police")
        assert officer.status_code == 403
        bad = api.call("GET", "/api/v1/stats", "monitor",
                       query_string={"from": "10/03/2026", "agency": "nowhere"})
        assert bad.status_code == 422
        assert set(bad.get_json()["error"]["fields"]) == {"from", "agency"}
        assert client.get("/api/v1/stats").status_code == 401
