from datetime import date, datetime, timedelta, timezone

import pytest

from caseapp.calendar.days import BusinessCalendar, local_day
from caseapp.calendar.sla import InvalidDuration, Policy, due_at, parse_duration

POLICY = Policy("dispatch", timedelta(hours=2), timedelta(hours=12))
CAL = BusinessCalendar()


def local(*args):
    from caseapp.calendar.days import LOCAL_TZ
    return datetime(*args, tzinfo=LOCAL_TZ)


def test_weekday_is_working_and_weekend_is_not():
    assert CAL.is_working_day(date(2026, 11, 27))  # Friday
    assert not CAL.is_working_day(date(2026, 11, 28))  # Saturday
    assert not CAL.is_working_day(date(2026, 11, 29))  # Sunday


def test_tet_2027_is_a_day_off():
    # Tết Nguyên Đán 2027 falls on Saturday 6 February; the weekdays around it are holidays
    assert not CAL.is_working_day(date(2027, 2, 8))
    assert not CAL.is_working_day(date(2027, 2, 9))
    assert CAL.is_working_day(date(2027, 2, 1))


def test_declared_days_override_the_defaults():
    cal = BusinessCalendar(days_off=frozenset({date(2026, 12, 1)}),
                           working_days=frozenset({date(2026, 12, 5)}))
    assert not cal.is_working_day(date(2026, 12, 1))
    assert cal.is_working_day(date(2026, 12, 5))


def test_friday_late_evening_is_working_regime():
    due = due_at(local(2026, 11, 27, 23, 30), POLICY, CAL)
    assert due.isoformat() == "2026-11-28T01:30:00+07:00"


def test_saturday_gets_day_off_regime():
    due = due_at(local(2026, 11, 28, 9, 0), POLICY, CAL)
    assert due.isoformat() == "2026-11-28T21:00:00+07:00"


def test_utc_input_on_another_local_day():
    # 2026-11-27 18:00 UTC is Saturday 01:00 in Ho Chi Minh City: day-off regime
    start = datetime(2026, 11, 27, 18, 0, tzinfo=timezone.utc)
    assert local_day(start) == date(2026, 11, 28)
    assert due_at(start, POLICY, CAL).isoformat() == "2026-11-28T13:00:00+07:00"


@pytest.mark.parametrize("text,expected", [
    ("PT2H", timedelta(hours=2)), ("P1D", timedelta(days=1)),
    ("PT1H30M", timedelta(hours=1, minutes=30)), ("pt90s", timedelta(seconds=90)),
])
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["2h", "P", "PT", "PT0S", "", "P1W2"])
def test_parse_duration_rejects(text):
    with pytest.raises(InvalidDuration):
        parse_duration(text)
