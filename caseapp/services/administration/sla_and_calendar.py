"""The admin screens' commands for SLA policies and declared days: list, change, recompute.

sla_settings stores policies and days (and reads them for the engine); this module adds what
the screens need on top: the table of every phase with its legal default, input checks, the
national holidays for reference, and recomputing the deadlines of running cases after a change.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import holidays

from ...extensions import db
from ...models import CalendarDay, SlaPolicy, utcnow
from caseapp.calendar.sla import DEFAULT_POLICIES
from ..cases import recompute
from . import sla_settings
from ..cases.audit import record_admin_change
from ..errors import NotFound, ValidationFailed
from .validation import MSG_REQUIRED, MSG_TOO_LONG, MSG_UNKNOWN_KIND, N_

CALENDAR_KINDS = ("day_off", "working")


# ---------------------------------------------------------------- SLA policies

@dataclass
class PolicyRow:
    phase: str
    working: str
    dayoff: str
    updated_at: object = None
    stored: bool = False
    label: str | None = None
    label_en: str | None = None


def list_sla_policies() -> list[PolicyRow]:
    """Every phase with its durations: the stored row, else the legal default."""
    rows = {r.phase: PolicyRow(r.phase, r.working_duration, r.dayoff_duration, r.updated_at, True,
                               r.label, r.label_en)
            for r in db.session.scalars(db.select(SlaPolicy))}
    for phase, (working, dayoff) in DEFAULT_POLICIES.items():
        rows.setdefault(phase, PolicyRow(phase, working, dayoff))
    order = list(DEFAULT_POLICIES)
    return sorted(rows.values(), key=lambda r: (order.index(r.phase) if r.phase in order
                                                else len(order), r.phase))


def get_sla_policy(phase: str) -> PolicyRow:
    for row in list_sla_policies():
        if row.phase == phase:
            return row
    raise NotFound("no SLA policy for this phase")


def update_sla_policy(actor, phase: str, working: str, dayoff: str,
                      apply_to_running: bool = False, *, new: bool = False,
                      label: str | None = None, label_en: str | None = None) -> int | None:
    """Set a phase's durations (audited by set_policy); optionally recompute running cases.

    Returns how many pending deadlines were recomputed, or None when not asked to.
    """
    phase = (phase or "").strip()
    if new and phase and any(r.phase == phase for r in list_sla_policies()):
        raise ValidationFailed("the phase exists", {"phase": [N_("This phase already has a policy.")]})
    row = sla_settings.set_policy(phase, working or "", dayoff or "", actor=actor,
                                  label=label, label_en=label_en)
    if not apply_to_running:
        return None
    changed = recompute.recompute_for_phase(row.phase)
    record_admin_change(actor, "sla.recompute", row.phase, {"recomputed": changed})
    db.session.commit()
    return changed


# ---------------------------------------------------------------- calendar

def list_calendar_days(year: int | None = None) -> list[CalendarDay]:
    """The province's declared days (of one year, if given), in date order."""
    query = db.select(CalendarDay).order_by(CalendarDay.day)
    if year:
        query = query.where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
    return list(db.session.scalars(query))


def national_holidays(year: int, language: str = "vi") -> list[tuple[date, str]]:
    """The Vietnamese public holidays of a year (for reference next to the declared days)."""
    lang = "vi" if language == "vi" else "en_US"
    table = holidays.country_holidays("VN", years=year, language=lang)
    return sorted(table.items())


def declare_calendar_day(actor, day: date | None, kind: str, note: str | None = None) -> int:
    """Declare a day off or a make-up working day, then recompute deadlines started that day."""
    errors: dict[str, list[str]] = {}
    if day is None:
        errors["day"] = [MSG_REQUIRED]
    if kind not in CALENDAR_KINDS:
        errors["kind"] = [MSG_UNKNOWN_KIND]
    note = (note or "").strip() or None
    if note and len(note) > 200:
        errors["note"] = [MSG_TOO_LONG]
    if errors:
        raise ValidationFailed("the day has errors", errors)
    sla_settings.declare_day(day, kind, note, actor=actor)
    return _recompute_day(actor, day)


def remove_calendar_day(actor, day: date) -> int:
    """Withdraw a declaration, then recompute deadlines started that day."""
    sla_settings.remove_day(day, actor=actor)
    return _recompute_day(actor, day)


def _recompute_day(actor, day: date) -> int:
    changed = recompute.recompute_for_day(day)
    if changed:
        record_admin_change(actor, "calendar.recompute", day.isoformat(), {"recomputed": changed})
        db.session.commit()
    return changed


def today_local() -> date:
    """Today in Asia/Ho_Chi_Minh."""
    from caseapp.calendar.days import local_day
    return local_day(utcnow())
