"""The Vietnamese business calendar: which local days are working days."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@lru_cache(maxsize=64)
def _vn_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=year)


def prepare_public_holidays(around: date) -> None:
    """Build the holiday tables a deadline will read before a time-limited diagram script asks
    for them: a year's lunar holidays cost about half a second of CPU the first time."""
    for year in (around.year, around.year + 1):
        _vn_holidays(year)


def public_holiday_name(day: date) -> str | None:
    """Name of the Vietnamese public holiday on that day, Tết included, if any."""
    return _vn_holidays(day.year).get(day)


@dataclass(frozen=True)
class BusinessCalendar:
    """Monday–Friday minus VN holidays and declared days off, plus declared make-up days."""

    days_off: frozenset[date] = field(default_factory=frozenset)
    working_days: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        """Decides which SLA regime a phase starting on this day gets."""
        if day in self.working_days:
            return True
        if day in self.days_off:
            return False
        if day.weekday() >= 5:
            return False
        return public_holiday_name(day) is None


def local_day(moment: datetime) -> date:
    """The calendar day in Asia/Ho_Chi_Minh on which an instant falls."""
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is required")
    return moment.astimezone(LOCAL_TZ).date()
