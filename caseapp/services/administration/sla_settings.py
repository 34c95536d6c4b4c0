"""SLA policies and declared calendar days, as stored by admins."""
from __future__ import annotations

import threading
from datetime import date, datetime

import sqlalchemy as sa
from flask import g, has_request_context
from flask_babel import force_locale

from ...extensions import db
from ...models import CalendarDay, SlaPolicy, utcnow
from caseapp.calendar.days import BusinessCalendar, local_day, prepare_public_holidays
from caseapp.calendar.sla import (DEFAULT_POLICIES, PHASE_NAME_RULE, InvalidDuration, Policy, due_at,
                                  is_phase_name, parse_duration)
from ..cases.audit import record_admin_change
from ..errors import NotFound, ValidationFailed


def _calendar_from_rows(rows) -> BusinessCalendar:
    return BusinessCalendar(
        days_off=frozenset(d for d, k in rows if k == "day_off"),
        working_days=frozenset(d for d, k in rows if k == "working"))


def _policies_from_rows(rows) -> dict[str, Policy]:
    policies = {phase: Policy(phase, parse_duration(w), parse_duration(o))
                for phase, (w, o) in DEFAULT_POLICIES.items()}
    for phase, working, dayoff in rows:
        policies[phase] = Policy(phase, parse_duration(working), parse_duration(dayoff))
    return policies


def load_calendar() -> BusinessCalendar:
    """Read the province's declared days once per command."""
    return _calendar_from_rows(db.session.execute(db.select(CalendarDay.day, CalendarDay.kind)).all())


def load_policies() -> dict[str, Policy]:
    """Read every SLA policy, falling back to the legal defaults for a phase not in the table."""
    return _policies_from_rows(db.session.execute(db.select(
        SlaPolicy.phase, SlaPolicy.working_duration, SlaPolicy.dayoff_duration)).all())


# The policies and declared days as two short texts, computed by the database inside a statement
# a command runs anyway (the case lock, the active version) and parsed once per distinct content:
# a change made by any process is seen by the next command, at no extra round trip.
POLICY_TEXT = sa.select(sa.func.aggregate_strings(
    SlaPolicy.phase + "=" + SlaPolicy.working_duration + "/" + SlaPolicy.dayoff_duration, ";")
).scalar_subquery()
DAY_TEXT = sa.select(sa.func.aggregate_strings(
    sa.cast(CalendarDay.day, sa.String) + ":" + CalendarDay.kind, ";")).scalar_subquery()
_SETTINGS_TEXTS = sa.select(POLICY_TEXT, DAY_TEXT)

_parsed_lock = threading.Lock()
_parsed: dict[tuple, tuple[dict[str, Policy], BusinessCalendar]] = {}
_PARSED_MAX = 16


def settings_from_texts(policy_text: str | None, day_text: str | None
                        ) -> tuple[dict[str, Policy], BusinessCalendar]:
    """Policies and calendar from the two texts (see POLICY_TEXT, DAY_TEXT), parsed once each."""
    key = (policy_text or "", day_text or "")
    with _parsed_lock:
        cached = _parsed.get(key)
    if cached is not None:
        return cached
    policy_rows = []
    for item in filter(None, key[0].split(";")):
        phase, durations = item.split("=", 1)
        working, dayoff = durations.split("/", 1)
        policy_rows.append((phase, working, dayoff))
    day_rows = []
    for item in filter(None, key[1].split(";")):
        day, kind = item.rsplit(":", 1)
        day_rows.append((date.fromisoformat(day[:10]), kind))
    parsed = (_policies_from_rows(policy_rows), _calendar_from_rows(day_rows))
    with _parsed_lock:
        if len(_parsed) >= _PARSED_MAX:
            _parsed.clear()
        _parsed[key] = parsed
    return parsed


def load_policies_and_calendar() -> tuple[dict[str, Policy], BusinessCalendar]:
    """Policies and calendar in one query (what every command that computes a due time needs)."""
    return settings_from_texts(*db.session.execute(_SETTINGS_TEXTS).one())


class DueCalculator:
    """sla_due for the engine: policies and calendar read lazily, once per command.

    `texts`: (POLICY_TEXT, DAY_TEXT) when the command already read them with its first statement.
    """

    def __init__(self, texts: tuple[str | None, str | None] | None = None):
        self._texts = texts
        self._policies = None
        self._calendar = None
        prepare_public_holidays(local_day(utcnow()))  # outside the scripts' time limit

    def __call__(self, phase: str, start: datetime | None = None) -> str:
        if self._policies is None:
            if self._texts is not None:
                self._policies, self._calendar = settings_from_texts(*self._texts)
            else:
                with db.session.no_autoflush:  # the engine runs mid-command: never flush here
                    self._policies, self._calendar = load_policies_and_calendar()
        policy = self._policies.get(phase)
        if policy is None:
            raise ValueError(f"no SLA policy for phase {phase!r}")
        return due_at(start or utcnow(), policy, self._calendar).isoformat()


def compute_due(phase: str, start: datetime) -> datetime:
    """The due moment for a phase starting at `start` under today's policies and calendar."""
    if start.tzinfo is None:
        raise ValidationFailed("the time needs a timezone offset", {"at": ["timezone missing"]})
    policies = load_policies()
    if phase not in policies:
        raise NotFound(f"unknown SLA phase: {phase}")
    return due_at(start, policies[phase], load_calendar())


def ensure_default_policies() -> None:
    """Seed the legal defaults of the province once; never overwrite an admin's change."""
    existing = set(db.session.scalars(db.select(SlaPolicy.phase)))
    for phase, (working, dayoff) in DEFAULT_POLICIES.items():
        if phase not in existing:
            db.session.add(SlaPolicy(phase=phase, working_duration=working, dayoff_duration=dayoff))
    db.session.commit()


def set_policy(phase: str, working: str, dayoff: str, actor=None,
               label: str | None = None, label_en: str | None = None) -> SlaPolicy:
    """Admins change durations without touching the BPMN; a new phase name creates its policy.

    `label`/`label_en`: what people read for the phase (None keeps the stored one, "" clears it).
    """
    errors = {}
    for name, value in (("working", working), ("dayoff", dayoff)):
        try:
            parse_duration(value)
        except InvalidDuration as exc:
            errors[name] = [str(exc)]
    phase = (phase or "").strip()
    if not is_phase_name(phase):
        errors["phase"] = [f"{phase!r} is not a phase name: use {PHASE_NAME_RULE}, e.g. site_visit"]
    for name, value in (("label", label), ("label_en", label_en)):
        if value is not None and len(value.strip()) > 200:
            errors[name] = ["at most 200 characters"]
    if errors:
        raise ValidationFailed("invalid SLA policy", errors)
    row = db.session.get(SlaPolicy, phase)
    before = None if row is None else _policy_dict(row)
    if row is None:
        row = SlaPolicy(phase=phase)
        db.session.add(row)
    row.working_duration = working.strip().upper()
    row.dayoff_duration = dayoff.strip().upper()
    if label is not None:
        row.label = label.strip() or None
    if label_en is not None:
        row.label_en = label_en.strip() or None
    row.updated_at = utcnow()
    record_admin_change(actor, "sla.set", phase, {"before": before, "after": _policy_dict(row)})
    db.session.commit()
    g.pop(_LABELS_KEY, None)
    return row


def _policy_dict(row: SlaPolicy) -> dict:
    values = {"working": row.working_duration, "dayoff": row.dayoff_duration}
    if row.label or row.label_en:
        values.update(label=row.label, label_en=row.label_en)
    return values


# ---- phase labels ----------------------------------------------------------------

_LABELS_KEY = "sla_phase_labels"


def stored_phase_labels() -> dict[str, tuple[str | None, str | None]]:
    """phase -> (label, label_en) as stored, read once per request (or per app context)."""
    labels = g.get(_LABELS_KEY)
    if labels is None:
        with db.session.no_autoflush:
            rows = db.session.execute(db.select(SlaPolicy.phase, SlaPolicy.label, SlaPolicy.label_en)
                                      .where(db.or_(SlaPolicy.label.is_not(None),
                                                    SlaPolicy.label_en.is_not(None)))).all()
        labels = {phase: (label, label_en) for phase, label, label_en in rows}
        setattr(g, _LABELS_KEY, labels)
    return labels


def forget_phase_labels() -> None:
    """Labels are read anew by the next request (called before every request)."""
    g.pop(_LABELS_KEY, None)


def phase_label(phase: str, lang: str | None = None) -> str:
    """What people read for a phase, in `lang` (default: the UI language, else Vietnamese).

    The SLA policy's label (label_en in English) wins; else the built-in translated label of
    caseapp/i18n.py PHASE_LABELS; else the other language's stored label; else the phase name.
    """
    from ...i18n import PHASE_LABELS, current_language
    if not phase:
        return ""
    lang = lang or current_language()
    label, label_en = stored_phase_labels().get(phase, (None, None))
    own, other = (label_en, label) if lang == "en" else (label, label_en)
    if own:
        return own
    if phase in PHASE_LABELS:
        if has_request_context() and lang == current_language():
            return str(PHASE_LABELS[phase])
        with force_locale(lang):  # a mail or a command: no request to take the language from
            return str(PHASE_LABELS[phase])
    return other or phase


def declare_day(day: date, kind: str, note: str | None = None, actor=None) -> CalendarDay:
    """Declare a province day off or a make-up working day."""
    if kind not in ("day_off", "working"):
        raise ValidationFailed("kind must be day_off or working", {"kind": ["day_off or working"]})
    row = db.session.get(CalendarDay, day)
    before = None if row is None else row.kind
    if row is None:
        row = CalendarDay(day=day)
        db.session.add(row)
    row.kind, row.note = kind, note
    record_admin_change(actor, "calendar.declare", day.isoformat(), {"before": before, "after": kind})
    db.session.commit()
    return row


def remove_day(day: date, actor=None) -> None:
    """Withdraw a declaration; the day falls back to the national calendar."""
    row = db.session.get(CalendarDay, day)
    if row is None:
        raise NotFound(f"no declared day {day.isoformat()}")
    record_admin_change(actor, "calendar.remove", day.isoformat(), {"before": row.kind})
    db.session.delete(row)
    db.session.commit()
