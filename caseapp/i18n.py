"""Language and time zone: Vietnamese first, English by a remembered switch.

Also the template helpers every page uses: local date/time, time left until a deadline, the
localised name of a category or agency, role names, the navigation by role.

Catalogues (msgids are English):
    pybabel extract -F caseapp/babel.cfg -k _l -k lazy_gettext -o caseapp/translations/messages.pot .
    pybabel update -i caseapp/translations/messages.pot -d caseapp/translations
    pybabel compile -d caseapp/translations -f          (make translations)
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_request_context, request, session, url_for
from flask_babel import gettext, lazy_gettext as _l, refresh
from flask_login import current_user

from .extensions import babel

LANGUAGES = ("vi", "en")
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DATETIME_FORMAT = "%d/%m/%Y %H:%M"
DATE_FORMAT = "%d/%m/%Y"

ROLE_LABELS = {
    "operator": _l("Portal operator"),
    "supervisor": _l("Portal supervisor"),
    "officer": _l("Agency officer"),
    "leader": _l("Agency leader"),
    "monitor": _l("Provincial leader"),
    "designer": _l("Process designer"),
    "admin": _l("Administrator"),
}

# The built-in phases' labels; a phase added by a designer gets its label from its SLA policy
# (sla_policy.label / label_en, see services/administration/sla_settings.phase_label).
PHASE_LABELS = {
    "dispatch": _l("Receiving and dispatching"),
    "handle": _l("Being handled by the agency"),
    "return": _l("Returning the report as outside the agency's competence"),
    "publish": _l("Preparing the reply"),
}

STATUS_LABELS = {
    "open": _l("In progress"),
    "closed": _l("Answered"),
    "rejected": _l("Not accepted"),
}

TASK_LABELS = {
    "dispatch": _l("Receive and dispatch"),
    "handle": _l("Handle report"),
    "publish": _l("Respond to reporter"),
}

EVENT_LABELS = {
    "submitted": _l("Report received"),
    "task_completed": _l("Task completed"),
    "dispatched": _l("Sent to an agency"),
    "rejected": _l("Not accepted by the portal"),
    "returned": _l("Returned to the portal (not within the agency's competence)"),
    "late_return": _l("Returned to the portal after the return window"),
    "resolved": _l("Handled by the agency"),
    "published": _l("Reply published"),
    "claimed": _l("Task claimed"),
    "unclaimed": _l("Task released"),
    "deadline_passed": _l("Deadline passed"),
    "urgent_leader_notified": _l("Agency leader notified (urgent)"),
    "process_failed": _l("The process could not start"),
    "process_started": _l("The process started on a corrected diagram"),
    "identity_disclosed": _l("Reporter identity shown to a staff member"),
    "personal_data_erased": _l("Reporter identity erased (personal data protection)"),
    "effect": _l("Process step"),
    "effect_ignored": _l("Process step ignored"),
    "process.moved": _l("Moved to a newer process version"),  # issue 9: moving running cases
    "process.move_reverted": _l("Move to a newer process version reverted"),
}

DEADLINE_STATE_LABELS = {
    "pending": _l("running"),
    "fired": _l("passed"),
    "cancelled": _l("met"),
}

# The work queues a diagram's lanes and candidate groups name (engine/analysis.py): how a lane
# reads on the diagram and who owns a deadline.
QUEUE_LABELS = {
    "portal": _l("Provincial portal"),
    "agency": _l("Handling agency"),
    "agency_leader": _l("Agency leader"),
    "supervisor": _l("Portal supervisor"),
}

OUTCOME_LABELS = {
    "handling": _l("handling"),
    "returned": _l("returned"),
    "resolved": _l("resolved"),
}

REJECT_REASON_LABELS = {
    "spam": _l("Spam, advertising or inappropriate content"),
    "duplicate": _l("Duplicate of another report"),
    "not_field_report": _l("Not a field report"),
    "insufficient_info": _l("Not enough information to handle"),
}


def select_locale() -> str:
    """The language the visitor chose (remembered in the session or a cookie), else Vietnamese."""
    chosen = request.args.get("lang") or session.get("lang") or request.cookies.get("lang")
    return chosen if chosen in LANGUAGES else "vi"


def current_language() -> str:
    """The UI language of this request; Vietnamese outside a request (CLI, workers, mails)."""
    return select_locale() if has_request_context() else "vi"


def init_i18n(app: Flask) -> None:
    """Wire Flask-Babel to our locale choice; times always in Asia/Ho_Chi_Minh."""
    babel.init_app(app, locale_selector=select_locale,
                   timezone_selector=lambda: "Asia/Ho_Chi_Minh",
                   default_translation_directories="translations")
    app.context_processor(_inject_locale)
    app.before_request(_fresh_locale)
    app.add_template_filter(local_datetime, "localdt")
    app.add_template_filter(local_date, "localdate")
    app.add_template_filter(localname, "localname")
    app.add_template_global(time_left)
    app.add_template_global(localname)
    app.add_template_global(role_label)
    app.add_template_global(nav_links)
    app.add_template_global(label_for)
    app.add_template_global(now_local)


def _fresh_locale() -> None:
    """Choose the language anew for every request, even when an app context outlives requests
    (Flask-Babel caches the locale on `g`, which tests and CLI scripts share between requests).
    The phase labels admins store are read anew for the same reason."""
    from .services.administration.sla_settings import forget_phase_labels
    refresh()
    forget_phase_labels()


def _inject_locale() -> dict:
    return {"current_locale": select_locale(), "languages": LANGUAGES}


# ---- time -----------------------------------------------------------------

def as_datetime(value) -> datetime | None:
    """An aware datetime from a datetime or an ISO-8601 string (naive means UTC)."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


def local_datetime(value, fmt: str = DATETIME_FORMAT) -> str:
    """dd/mm/yyyy HH:MM in Asia/Ho_Chi_Minh, whatever the interface language."""
    moment = as_datetime(value)
    return moment.astimezone(LOCAL_TZ).strftime(fmt) if moment else ""


def now_local() -> str:
    """The current time, HH:MM in Asia/Ho_Chi_Minh (for "updated at")."""
    from .models import utcnow
    return utcnow().astimezone(LOCAL_TZ).strftime("%H:%M")


def local_date(value) -> str:
    return local_datetime(value, DATE_FORMAT)


def format_duration(delta: timedelta) -> str:
    """The two largest units of a duration: "1 d 3 h", "2 h 05 min", "12 min"."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return gettext("%(d)s d %(h)s h", d=days, h=hours)
    if hours:
        return gettext("%(h)s h %(m)s min", h=hours, m=f"{mins:02d}")
    return gettext("%(m)s min", m=mins)


class TimeLeft:
    """What a deadline looks like now: text, overdue flag, and a CSS class."""

    def __init__(self, due, now=None):
        from .models import utcnow
        self.due = as_datetime(due)
        now = now or utcnow()
        if self.due is None:
            self.overdue, self.seconds, self.text = False, None, gettext("no deadline")
            return
        delta = self.due - now
        self.seconds = delta.total_seconds()
        self.overdue = self.seconds < 0
        if self.overdue:
            self.text = gettext("overdue by %(duration)s", duration=format_duration(delta))
        else:
            self.text = gettext("%(duration)s left", duration=format_duration(delta))

    @property
    def css(self) -> str:
        if self.overdue:
            return "overdue"
        if self.seconds is not None and self.seconds < 3600:
            return "due-soon"
        return ""

    def __str__(self) -> str:
        return self.text


def time_left(due, now=None) -> TimeLeft:
    return TimeLeft(due, now)


# ---- names ------------------------------------------------------------------

def localname(obj) -> str:
    """`name` in Vietnamese, `name_en` in English (falling back to `name`)."""
    if obj is None:
        return ""
    get = obj.get if isinstance(obj, dict) else (lambda key, default=None: getattr(obj, key, default))
    if select_locale() == "en" and get("name_en"):
        return get("name_en")
    return get("name") or get("code") or ""


def queue_label(name: str | None, lang: str | None = None) -> str:
    """A queue (or a lane named after it) in `lang`; an unknown name as it is."""
    label = QUEUE_LABELS.get((name or "").strip().lower())
    if label is None:
        return name or ""
    if lang is None or (has_request_context() and lang == current_language()):
        return str(label)
    from flask_babel import force_locale
    with force_locale(lang):
        return str(label)


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


_LABEL_TABLES = {"phase": PHASE_LABELS, "status": STATUS_LABELS, "task": TASK_LABELS,
                 "event": EVENT_LABELS, "deadline": DEADLINE_STATE_LABELS,
                 "outcome": OUTCOME_LABELS, "reject_reason": REJECT_REASON_LABELS,
                 "role": ROLE_LABELS, "queue": QUEUE_LABELS}


def label_for(kind: str, value) -> str:
    """The translated label of a code (phase, status, task, event…), the code itself if unknown."""
    if value in (None, ""):
        return ""
    if kind == "phase":  # phases come from the diagrams: their labels are data (SLA policies)
        from .services.administration.sla_settings import phase_label
        return phase_label(value)
    return str(_LABEL_TABLES.get(kind, {}).get(value, value))


# ---- navigation -----------------------------------------------------------------

WORK_ROLES = ("operator", "supervisor", "officer", "leader")


def nav_links() -> list[dict]:
    """The header links for the current visitor, by role."""
    links: list[dict] = []
    endpoint = request.endpoint or ""

    def add(link_id: str, endpoint_name: str, label, **values):
        if endpoint_name not in current_app.view_functions:
            return
        try:
            url = url_for(endpoint_name, **values)
        except Exception:  # a blueprint that is not there yet must not break every page
            return
        blueprint = endpoint_name.split(".")[0]
        links.append({"id": link_id, "url": url, "label": str(label),
                      "active": endpoint == endpoint_name or (
                          endpoint.startswith(blueprint + ".") and blueprint not in ("public",))})

    user = current_user if current_user and current_user.is_authenticated else None
    if user is None:
        add("report", "public.report", _l("Send a report"))
        add("track", "public.track", _l("Track a report"))
        add("board", "board.index", _l("Answered reports"))
        return links
    if user.role in WORK_ROLES:
        add("queue", "work.queue", _l("Work queue"))
    if user.role == "leader":
        add("leader", "leader.overview", _l("Agency overview"))
    elif user.role in ("monitor", "supervisor"):  # the province's figures (the dashboard)
        add("leader", "leader.overview", _l("Figures"))
    if user.role != "designer":
        add("cases", "cases.index", _l("Cases"))
    if user.role in ("designer", "admin"):
        add("process", "process.index", _l("Process"))
    if user.role == "admin":
        add("admin", "admin.index", _l("Administration"))
    if user.role in ("operator", "supervisor", "monitor", "admin"):
        add("announcements", "announcements.index", _l("Announcements"))
    add("track", "public.track", _l("Track a report"))
    return links
