"""The daily rollup gives the same figures as the live queries over everything.

Cases run through the real services over a working week in Cà Mau (local time, UTC+7), some
steps just before and just after local midnight (a different UTC date), with returns,
re-dispatches, a rejection and an urgent case. At several moments the figures are computed twice
— everything live (no rollup) and rollup + live — for the province and cut by agency, category,
district and two of them at once, over several periods; they must be equal (the percentiles of
time per step within the 9 % of a histogram bucket). Then more happens after the watermark
(cases created on rolled days closed, a return on a rolled day sent on, an agency first holding
an older case), then the rollup moves on (re-rolling the days that changed) and is compared with
a rebuild from scratch.
"""
from __future__ import annotations

from datetime import datetime

import pytest
from freezegun import freeze_time

from caseapp.extensions import db

from .test_dashboard import (LOCAL, _holidays_computed, complete, dispatch, give_back,  # noqa: F401
                             publish, resolve, submit, user)

FILTERS = [{}, {"agency": "police"}, {"agency": "health"}, {"category": "security"},
           {"district": "camau"}, {"category": "security", "district": "camau"},
           {"agency": "police", "category": "security"}]


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=LOCAL)


def reject(code: str) -> None:
    complete("operator", code, {"action": "reject", "reject_reason": "spam"})


@pytest.fixture
def week(seeded):
    """Monday 2 to Thursday 5 March 2026; the clock stops on Friday 6 at 15:00."""
    codes = {}
    with freeze_time(local(2, 9)) as clock:
        codes["A"] = submit("A", "security", "camau")
        codes["B"] = submit("B", "health")
        codes["C"] = submit("C", "security")
        codes["D"] = submit("D", "disaster", "namcan")
        clock.move_to(local(2, 10))
        dispatch(codes["A"], "police", urgent=True)
        dispatch(codes["B"], "health")
        dispatch(codes["C"], "police")
        clock.move_to(local(2, 10, 30))
        give_back("police", codes["C"])
        clock.move_to(local(2, 23, 30))  # local Monday, 16:30 UTC
        codes["E"] = submit("E", "security", "camau")
        clock.move_to(local(3, 0, 30))  # local Tuesday, still Monday in UTC
        codes["G"] = submit("G", "health", "camau")
        clock.move_to(local(3, 9))
        resolve("police", codes["A"])
        dispatch(codes["E"], "police")
        clock.move_to(local(3, 23, 45))
        resolve("health", codes["B"])
        clock.move_to(local(4, 0, 15))  # the reply: local Wednesday, Tuesday in UTC
        publish(codes["A"])
        clock.move_to(local(4, 10))
        dispatch(codes["C"], "tnmt")
        reject(codes["D"])
        codes["H"] = submit("H", "security", "camau")
        dispatch(codes["H"], "police")
        clock.move_to(local(4, 10, 30))
        give_back("police", codes["H"])
        clock.move_to(local(5, 9))
        publish(codes["B"])
        codes["K"] = submit("K", "weather", "camau")
        clock.move_to(local(5, 23, 59))
        codes["L"] = submit("L", "security")
    return codes


def figures(args: dict, now: datetime, live: bool) -> dict:
    from caseapp.services.figures.filters import parse_filters
    from caseapp.services.figures.rollup import Split
    from caseapp.services.figures.stats import all_figures
    with freeze_time(now):
        return all_figures(parse_filters(user("monitor"), args, now), now,
                           Split(None) if live else None)


def assert_same(args: dict, now: datetime) -> None:
    """Rollup + live == live only, for these filters at this moment."""
    db.session.expire_all()
    expected, found = figures(args, now, live=True), figures(args, now, live=False)
    for name in expected:
        if name in ("durations", "durations_approximate"):
            continue
        assert found[name] == expected[name], (args, name)
    assert [(r["phase"], r["count"]) for r in found["durations"]] == \
        [(r["phase"], r["count"]) for r in expected["durations"]], args
    for mine, exact in zip(found["durations"], expected["durations"]):
        for key in ("median_seconds", "p90_seconds"):
            assert mine[key] == pytest.approx(exact[key], rel=0.0905, abs=1), (args, key)


def assert_all_same(now: datetime) -> None:
    day = now.astimezone(LOCAL).day
    periods = [{}, {"from": "2026-03-02", "to": "2026-03-04"}, {"from": "2026-03-03", "to": "2026-03-03"},
               {"from": "2026-02-20", "to": f"2026-03-{day:02d}"}]
    for period in periods:
        for cut in FILTERS:
            assert_same({**period, **cut}, now)


def rolled_rows() -> dict:
    from caseapp.models.figures import DAILY_TABLES
    result = {}
    for table in DAILY_TABLES:
        columns = [c for c in table.__table__.columns if c.name != "id"]
        result[table.__tablename__] = sorted(
            (tuple(row) for row in db.session.execute(db.select(*columns))),
            key=lambda row: tuple((v is None, str(v)) for v in row))
    return result


def test_rollup_and_live_agree_across_days_and_filters(week):
    from caseapp.services.figures import rollup
    now = local(6, 15)
    with freeze_time(now):
        assert rollup.catch_up(now) == 4  # Monday to Thursday
        assert rollup.current_split().rolled_through.isoformat() == "2026-03-05"
        assert rollup.catch_up(now) == 0  # up to date: nothing to do
    assert figures({}, now, live=False)["durations_approximate"] is True
    assert_all_same(now)

    # after the watermark: rolled days' cases close, a rolled return is sent on, health first
    # holds a case created on a rolled day, new cases come in
    with freeze_time(local(6, 16)) as clock:
        resolve("police", week["E"])
        resolve("tnmt", week["C"])
        dispatch(week["H"], "health")
        dispatch(week["K"], "agriculture", urgent=True)
        dispatch(week["G"], "health")
        clock.move_to(local(6, 16, 30))
        give_back("health", week["G"])
        clock.move_to(local(6, 17))
        reject(week["L"])
        code = submit("M", "health", "camau")
        dispatch(code, "health")
    later = local(6, 18)
    assert_all_same(later)

    # the periodic job rolls today so far (to 18:00): the live part is the last minutes
    with freeze_time(later):
        assert rollup.catch_up(later, intraday=True) == 1
        assert rollup.current_split().watermark == local(6, 18)
    assert_all_same(later)

    # the next morning the rollup moves on, re-rolling the changed days: the same figures, and
    # the same rows as a rollup built from scratch
    tomorrow = local(7, 8)
    with freeze_time(tomorrow):
        assert rollup.catch_up(tomorrow) == 1
    assert_all_same(tomorrow)
    moved_on = rolled_rows()
    with freeze_time(tomorrow):
        rollup.rebuild(tomorrow)
    assert rolled_rows() == moved_on


def test_nothing_to_roll_without_cases(seeded):
    from caseapp.services.figures import rollup
    with freeze_time(local(6, 15)):
        assert rollup.catch_up() == 0
        assert rollup.current_split().rolled_through is None


def test_the_dashboard_catches_up_once_a_day(week, client):
    from caseapp.services.figures import rollup

    from .helpers import Api
    api = Api(client)
    with freeze_time(local(6, 15)):
        body = api.call("GET", "/api/v1/stats", "monitor").get_json()
    assert rollup.current_split().rolled_through.isoformat() == "2026-03-05"
    assert body["received"] == 9 and body["time_per_phase_approximate"] is True
    assert body["urgent"]["received"] == 1


def test_rollup_command(week, app):
    runner = app.test_cli_runner()
    with freeze_time(local(6, 15)):
        result = runner.invoke(args=["figures", "rollup"])
        assert result.exit_code == 0, result.output
        assert "caught up: 4 new days; rolled through 2026-03-05" in result.output
        again = runner.invoke(args=["figures", "rollup", "--from", "2026-03-03", "--to", "2026-03-04"])
        assert "rolled again: 2 days" in again.output
        rebuilt = runner.invoke(args=["figures", "rollup", "--rebuild"])
        assert "rebuilt: 4 days" in rebuilt.output
        bad = runner.invoke(args=["figures", "rollup", "--from", "yesterday"])
        assert bad.exit_code == 2


def test_the_periodic_job_rolls_once_an_interval(week, app):
    from timers import figures as timer
    from caseapp.services.figures import rollup
    ticks = iter([1000.0, 1010.0, 1000.0 + timer.ROLLUP_CHECK_SECONDS + 1])
    timer._last_run.pop(id(app), None)
    with freeze_time(local(6, 15, 7)):
        assert timer.rollup_if_due(app, clock=lambda: next(ticks)) == 5  # today so far too
        assert timer.rollup_if_due(app, clock=lambda: next(ticks)) is None  # not due yet
        assert timer.rollup_if_due(app, clock=lambda: next(ticks)) == 0  # due, nothing new
    split = rollup.current_split()
    assert split.rolled_through.isoformat() == "2026-03-06" and split.watermark == local(6, 15)
