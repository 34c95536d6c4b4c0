"""SLA policies: the duration allowed for a phase, by the regime of its starting day."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from .days import LOCAL_TZ, BusinessCalendar, local_day

DEFAULT_POLICIES = {
    "dispatch": ("PT2H", "PT12H"),
    "handle": ("PT4H", "PT24H"),
    "return": ("PT1H", "PT12H"),
    "publish": ("PT2H", "PT12H"),
}

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<days>\d+)D)?(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?"
    r"(?:(?P<seconds>\d+)S)?)?$")


# A phase name: what a diagram passes to sla_due('...') and what `sla set PHASE` stores.
PHASE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
PHASE_NAME_RULE = "a lowercase identifier: a letter a-z, then letters a-z, digits or _ (40 at most)"


def is_phase_name(text: str | None) -> bool:
    """Phases are keys in URLs, commands and diagrams: keep them plain lowercase identifiers."""
    return bool(PHASE_NAME.match(text or ""))


class InvalidDuration(ValueError):
    pass


def parse_duration(text: str) -> timedelta:
    """Read the ISO-8601 durations admins type (PT2H, P1D, PT1H30M, PT90S)."""
    match = _DURATION.match((text or "").strip().upper())
    if not match:
        raise InvalidDuration(f"not an ISO-8601 duration such as PT2H or P1D: {text!r}")
    parts = {k: int(v) for k, v in match.groupdict().items() if v}
    value = timedelta(**parts)
    if value <= timedelta(0):
        raise InvalidDuration(f"the duration must be positive: {text!r}")
    return value


@dataclass(frozen=True)
class Policy:
    phase: str
    working: timedelta
    dayoff: timedelta


def due_at(start: datetime, policy: Policy, calendar: BusinessCalendar) -> datetime:
    """The due moment of a phase, in local time with the +07:00 offset."""
    allowed = policy.working if calendar.is_working_day(local_day(start)) else policy.dayoff
    return (start + allowed).astimezone(LOCAL_TZ)
