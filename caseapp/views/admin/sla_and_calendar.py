"""Admin screens for SLA policies and the province's declared days."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ...i18n import current_language, select_locale
from ...services.administration.sla_and_calendar import (declare_calendar_day, get_sla_policy,
                                                         list_calendar_days, list_sla_policies,
                                                         national_holidays, remove_calendar_day,
                                                         today_local, update_sla_policy)
from ...services.administration.sla_settings import phase_label
from ...services.errors import ValidationFailed
from ..admin_forms import (CALENDAR_KIND_LABELS, SLA_PHASE_LABELS, CalendarDayForm,
                           SlaPolicyCreateForm, SlaPolicyForm)
from .base import bp, render_form, show_errors


@bp.context_processor
def _labels():
    return {"calendar_kind_labels": CALENDAR_KIND_LABELS, "sla_label": sla_label,
            "duration_text": duration_text}


def sla_label(policy) -> str:
    """A phase on the SLA screens: its stored label, else the built-in description, else its name."""
    own = policy.label_en if current_language() == "en" else policy.label
    if own:
        return own
    if policy.phase in SLA_PHASE_LABELS:
        return str(SLA_PHASE_LABELS[policy.phase])
    return phase_label(policy.phase)


def duration_text(iso: str) -> str:
    """PT1H30M → '1 giờ 30 phút' / '1 hour 30 minutes', for the SLA table."""
    from caseapp.calendar.sla import InvalidDuration, parse_duration
    try:
        value = parse_duration(iso)
    except InvalidDuration:
        return iso
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(num)d day", "%(num)d days", days))
    if hours:
        parts.append(ngettext("%(num)d hour", "%(num)d hours", hours))
    if minutes:
        parts.append(ngettext("%(num)d minute", "%(num)d minutes", minutes))
    if seconds:
        parts.append(ngettext("%(num)d second", "%(num)d seconds", seconds))
    return " ".join(parts)


# ---------------------------------------------------------------- SLA policies

@bp.get("/sla")
def sla():
    return render_template("admin/sla.html", policies=list_sla_policies())


@bp.route("/sla/new", methods=["GET", "POST"])
def sla_new():
    form = SlaPolicyCreateForm()
    general: list[str] = []
    if form.validate_on_submit():
        try:
            changed = update_sla_policy(current_user, form.phase.data, form.working.data,
                                        form.dayoff.data, form.apply_to_running.data,
                                        new=True, label=form.label.data or "",
                                        label_en=form.label_en.data or "")
        except ValidationFailed as exc:
            general = show_errors(form, exc)
        else:
            _flash_sla_saved(form.phase.data.strip(), changed)
            return redirect(url_for(".sla"))
    return render_form("admin/sla_form.html", form, general, policy=None)


@bp.route("/sla/<phase>/edit", methods=["GET", "POST"])
def sla_edit(phase: str):
    policy = get_sla_policy(phase)
    form = SlaPolicyForm(data={"working": policy.working, "dayoff": policy.dayoff,
                               "label": policy.label or "", "label_en": policy.label_en or ""})
    general: list[str] = []
    if form.validate_on_submit():
        try:
            changed = update_sla_policy(current_user, phase, form.working.data,
                                        form.dayoff.data, form.apply_to_running.data,
                                        label=form.label.data or "",
                                        label_en=form.label_en.data or "")
        except ValidationFailed as exc:
            general = show_errors(form, exc)
        else:
            _flash_sla_saved(phase, changed)
            return redirect(url_for(".sla"))
    return render_form("admin/sla_form.html", form, general, policy=policy)


def _flash_sla_saved(phase: str, changed: int | None) -> None:
    flash(_("SLA policy for %(phase)s saved.", phase=phase), "success")
    if changed is not None:
        flash(ngettext("%(num)d pending deadline of running cases recomputed.",
                       "%(num)d pending deadlines of running cases recomputed.", changed), "info")


# ---------------------------------------------------------------- calendar

def _year_arg() -> int:
    today = today_local()
    try:
        year = int(request.args.get("year") or today.year)
    except ValueError:
        return today.year
    return year if 2000 <= year <= 2100 else today.year


@bp.route("/calendar", methods=["GET", "POST"])
def calendar():
    year = _year_arg()
    form = CalendarDayForm()
    general: list[str] = []
    if form.validate_on_submit():
        try:
            changed = declare_calendar_day(current_user, form.day.data, form.kind.data,
                                           form.note.data)
        except ValidationFailed as exc:
            general = show_errors(form, exc)
        else:
            day = form.day.data
            flash(_("%(day)s declared: %(kind)s.", day=day.strftime("%d/%m/%Y"),
                    kind=CALENDAR_KIND_LABELS.get(form.kind.data, form.kind.data)), "success")
            if changed:
                flash(ngettext("%(num)d pending deadline of running cases recomputed.",
                       "%(num)d pending deadlines of running cases recomputed.", changed),
                      "info")
            return redirect(url_for(".calendar", year=day.year))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/calendar.html", form=form, general_errors=general, year=year,
                           days=list_calendar_days(year),
                           holidays=national_holidays(year, select_locale())), status


@bp.post("/calendar/<day>/remove")
def calendar_remove(day: str):
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        abort(404)
    changed = remove_calendar_day(current_user, parsed)
    flash(_("%(day)s withdrawn; it follows the national calendar again.",
            day=parsed.strftime("%d/%m/%Y")), "success")
    if changed:
        flash(ngettext("%(num)d pending deadline of running cases recomputed.",
                       "%(num)d pending deadlines of running cases recomputed.", changed), "info")
    return redirect(url_for(".calendar", year=parsed.year))
