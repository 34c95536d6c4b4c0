"""Who may call what: the expected outcome of every route of the app (rule and method, as Flask's
URL map lists them) for every kind of caller, in ONE table, and the small world the calls need.

Callers: `anonymous`; `citizen` (no login, has just sent a report from this browser, so the
tracking code and the confirmation page are theirs); the portal's `operator` and `supervisor`;
`officer` and `leader` of the agency that holds the case (police); `officer_other`, an officer of
another agency (health) that never held it; the provincial `monitor`; `designer`; `admin`.

Outcome classes (what the status says about access, not about the body):
  ok         2xx: the view ran and answered
  redirect   3xx to anywhere but the sign-in page (done, or sent elsewhere on purpose)
  invalid    400/422: the caller got through and the (empty) request was refused as input
  conflict   409: the caller got through; the state forbids it (e.g. already claimed)
  login      302 to /login for pages, 401 for the API: sign in first
  forbidden  403
  not_found  404

Path arguments are real: `code` is a case the owning agency holds (each caller has its own case,
so one caller's claim never changes another's outcome), `item_id` its open `handle` work item,
`photo_id` its photo; ids of admin objects are spares nobody signs in as.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date

from PIL import Image

ROLES = ("anonymous", "citizen", "operator", "supervisor", "officer", "officer_other", "leader",
         "monitor", "designer", "admin")
USERS = {"operator": "operator", "supervisor": "supervisor", "officer": "officer.police",
         "officer_other": "officer.health", "leader": "leader.police", "monitor": "monitor",
         "designer": "designer", "admin": "admin"}
OWNING_AGENCY = "police"
SPARE_AGENCY = "transport"
SPARE_USER = "officer.transport"
DECLARED_DAY = date(2031, 1, 2)  # a day off far ahead: no deadline runs on it
ANON = ("anonymous", "citizen")
STAFF = tuple(role for role in ROLES if role not in ANON)
AGENCY = ("officer", "leader")  # the owning agency's staff
CASE_READERS = ("operator", "supervisor", "officer", "leader", "monitor", "admin")
FIGURE_READERS = ("supervisor", "monitor", "leader")  # a dashboard: the province, or an agency
ANNOUNCEMENT_READERS = ("operator", "supervisor", "monitor", "admin")
QUEUE_HOLDERS = ("operator", "supervisor", "officer", "officer_other", "leader")  # have a work queue
OUTCOMES = ("ok", "redirect", "invalid", "conflict", "login", "forbidden", "not_found")


def everyone(outcome: str, **overrides: str) -> dict[str, str]:
    """The same outcome for every caller, with exceptions."""
    return {**{role: outcome for role in ROLES}, **overrides}


def staff_only(allowed: tuple[str, ...], outcome: str = "ok", others: str = "forbidden",
               anonymous: str = "login", **overrides: str) -> dict[str, str]:
    """Signed-in staff in `allowed` get `outcome`, other staff `others`, no login `anonymous`."""
    row = {role: anonymous if role in ANON else outcome if role in allowed else others
           for role in ROLES}
    return {**row, **overrides}


# (rule, method) -> {caller: outcome}. HEAD and OPTIONS, which Flask adds to every rule, are left out.
TABLE: dict[tuple[str, str], dict[str, str]] = {
    # --- public pages ------------------------------------------------------------------------
    ("/", "GET"): everyone("ok"),
    ("/lang/<code>", "GET"): everyone("redirect"),
    ("/report", "GET"): everyone("ok"),
    ("/report", "POST"): everyone("invalid"),
    ("/report/sent", "GET"): everyone("redirect", citizen="ok"),
    ("/track", "GET"): everyone("ok"),
    ("/track/<code>", "GET"): everyone("ok"),
    ("/static/<path:filename>", "GET"): everyone("ok"),
    ("/healthz", "GET"): everyone("ok"),
    # --- signing in and out ------------------------------------------------------------------
    ("/login", "GET"): everyone("ok", **{role: "redirect" for role in STAFF}),
    ("/login", "POST"): everyone("ok", **{role: "redirect" for role in STAFF}),  # form errors: 200
    ("/logout", "POST"): everyone("login"),  # staff: signed out, on to the sign-in page
    # --- work queue and tasks: the item is the owning agency's `handle` step ------------------
    ("/work/", "GET"): staff_only(QUEUE_HOLDERS),
    # the htmx poll: without a session an empty 204 whose HX-Redirect sends the page to sign in
    ("/work/rows", "GET"): staff_only(QUEUE_HOLDERS, anonymous="ok"),
    ("/work/items/<item_id>", "GET"): staff_only(AGENCY),
    ("/work/items/<item_id>", "POST"): staff_only(AGENCY, "invalid"),
    ("/work/items/<item_id>/claim", "POST"): staff_only(AGENCY, "redirect"),
    ("/work/items/<item_id>/unclaim", "POST"): staff_only(AGENCY, "redirect"),
    # --- cases -------------------------------------------------------------------------------
    ("/cases/", "GET"): staff_only(STAFF),
    ("/cases/<code>", "GET"): staff_only(CASE_READERS),
    ("/cases/<code>/diagram", "GET"): staff_only(CASE_READERS),
    ("/cases/<code>/photos/<int:photo_id>", "GET"): staff_only(CASE_READERS),
    # --- agency leader -----------------------------------------------------------------------
    # --- leaders' figures (issue 10): the province for monitor and supervisor, an agency's for
    # its leader; notifications are the agency leader's
    ("/leader/", "GET"): staff_only(FIGURE_READERS),
    ("/leader/figures.json", "GET"): staff_only(FIGURE_READERS),
    ("/leader/export/<table_id>.<fmt>", "GET"): staff_only(FIGURE_READERS),
    ("/leader/notifications/<int:notification_id>/read", "POST"): staff_only(("leader",),
                                                                             "redirect"),
    ("/api/v1/stats", "GET"): staff_only(FIGURE_READERS),
    # --- public transparency board and emergency announcements (issue 10) ----------------------
    ("/board", "GET"): everyone("ok"),
    ("/api/v1/announcements", "GET"): everyone("ok"),
    ("/announcements/", "GET"): staff_only(ANNOUNCEMENT_READERS),
    ("/announcements/", "POST"): staff_only(("supervisor", "monitor"), "invalid"),
    # each caller's own announcement was published by the supervisor: its author or an admin
    ("/announcements/<int:announcement_id>/withdraw", "POST"): staff_only(("supervisor", "admin"),
                                                                          "redirect"),
    # --- process designer --------------------------------------------------------------------
    ("/process/", "GET"): staff_only(("designer", "admin")),
    ("/process/versions/<int:version_id>", "GET"): staff_only(("designer", "admin")),
    ("/process/deploy", "POST"): staff_only(("designer", "admin"), "invalid"),
    ("/process/figures", "GET"): staff_only(("designer", "admin")),
    # the modeler's live check and diffs (issue 9): an empty body is refused as input
    ("/process/check", "POST"): staff_only(("designer", "admin"), "invalid"),
    ("/process/diff", "POST"): staff_only(("designer", "admin"), "invalid"),
    ("/process/versions/<int:version_id>/diff", "GET"): staff_only(("designer", "admin")),
    # the modeler (issue 9): each caller's draft_id is a draft the designer owns (admins see all)
    ("/process/modeler", "GET"): staff_only(("designer", "admin")),
    ("/process/drafts", "GET"): staff_only(("designer", "admin")),
    ("/process/drafts", "POST"): staff_only(("designer", "admin"), "invalid"),
    ("/process/drafts/<int:draft_id>/delete", "POST"): staff_only(("designer", "admin"), "redirect"),
    ("/process/drafts/<int:draft_id>/deploy", "POST"): staff_only(("designer", "admin")),
    ("/process/drafts/<int:draft_id>/download", "GET"): staff_only(("designer", "admin")),
    ("/process/versions/<int:version_id>/download", "GET"): staff_only(("designer", "admin")),
    # moving running cases to a newer version (issue 9): run_id is a finished run; the caller's
    # case was never moved, so its revert is refused with a message on the page it goes back to
    ("/process/moves/", "GET"): staff_only(("designer", "admin")),
    ("/process/moves/", "POST"): staff_only(("designer", "admin"), "invalid"),
    ("/process/moves/<int:run_id>", "GET"): staff_only(("designer", "admin")),
    ("/process/moves/cases/<code>/revert", "POST"): staff_only(("designer", "admin"), "redirect"),
    # --- administration ----------------------------------------------------------------------
    ("/admin/", "GET"): staff_only(("admin",)),
    ("/admin/agencies", "GET"): staff_only(("admin",)),
    ("/admin/agencies/new", "GET"): staff_only(("admin",)),
    ("/admin/agencies/new", "POST"): staff_only(("admin",), "invalid"),
    ("/admin/agencies/<int:agency_id>/edit", "GET"): staff_only(("admin",)),
    ("/admin/agencies/<int:agency_id>/edit", "POST"): staff_only(("admin",), "invalid"),
    ("/admin/categories", "GET"): staff_only(("admin",)),
    ("/admin/categories/new", "GET"): staff_only(("admin",)),
    ("/admin/categories/new", "POST"): staff_only(("admin",), "invalid"),
    ("/admin/categories/<int:category_id>/edit", "GET"): staff_only(("admin",)),
    ("/admin/categories/<int:category_id>/edit", "POST"): staff_only(("admin",), "invalid"),
    ("/admin/users", "GET"): staff_only(("admin",)),
    ("/admin/users/new", "GET"): staff_only(("admin",)),
    ("/admin/users/new", "POST"): staff_only(("admin",), "invalid"),
    ("/admin/users/<int:user_id>/edit", "GET"): staff_only(("admin",)),
    # an empty form re-saves the user as they are (WTForms fills an empty form from the object)
    ("/admin/users/<int:user_id>/edit", "POST"): staff_only(("admin",), "redirect"),
    ("/admin/users/<int:user_id>/password", "POST"): staff_only(("admin",), "invalid"),
    ("/admin/sla", "GET"): staff_only(("admin",)),
    ("/admin/sla/new", "GET"): staff_only(("admin",)),
    ("/admin/sla/new", "POST"): staff_only(("admin",), "invalid"),
    ("/admin/sla/<phase>/edit", "GET"): staff_only(("admin",)),
    ("/admin/sla/<phase>/edit", "POST"): staff_only(("admin",), "invalid"),
    ("/admin/calendar", "GET"): staff_only(("admin",)),
    ("/admin/calendar", "POST"): staff_only(("admin",), "invalid"),
    ("/admin/calendar/<day>/remove", "POST"): staff_only(("admin",), "redirect"),
    ("/admin/audit", "GET"): staff_only(("admin",)),
    ("/admin/districts", "GET"): staff_only(("admin",)),
    ("/admin/districts/new", "GET"): staff_only(("admin",)),
    ("/admin/districts/new", "POST"): staff_only(("admin",), "invalid"),
    ("/admin/districts/<int:district_id>/edit", "GET"): staff_only(("admin",)),
    ("/admin/districts/<int:district_id>/edit", "POST"): staff_only(("admin",), "invalid"),
    ("/admin/open311-keys", "GET"): staff_only(("admin",)),
    ("/admin/open311-keys", "POST"): staff_only(("admin",), "invalid"),
    ("/admin/open311-keys/<int:key_id>/revoke", "POST"): staff_only(("admin",), "redirect"),
    ("/admin/personal-data", "GET"): staff_only(("admin",)),
    ("/admin/personal-data/request", "POST"): staff_only(("admin",), "invalid"),
    # an empty retention is a setting: keep identities until a reporter asks for erasure
    ("/admin/personal-data/retention", "POST"): staff_only(("admin",), "redirect"),
    ("/admin/personal-data/purge", "POST"): staff_only(("admin",), "redirect"),
    # --- JSON API ----------------------------------------------------------------------------
    ("/api/v1/openapi.json", "GET"): everyone("ok"),
    ("/api/v1/tokens", "POST"): everyone("login"),  # no credentials: 401
    ("/api/v1/reports", "POST"): everyone("invalid"),
    ("/api/v1/reports/<code>", "GET"): everyone("ok"),
    ("/api/v1/categories", "GET"): everyone("ok"),
    ("/api/v1/agencies", "GET"): everyone("ok"),
    ("/api/v1/work-items", "GET"): staff_only(QUEUE_HOLDERS),
    ("/api/v1/work-items/<item_id>", "GET"): staff_only(AGENCY),
    ("/api/v1/work-items/<item_id>/claim", "POST"): staff_only(AGENCY),
    ("/api/v1/work-items/<item_id>/unclaim", "POST"): staff_only(AGENCY),
    ("/api/v1/work-items/<item_id>/complete", "POST"): staff_only(AGENCY, "invalid"),
    ("/api/v1/cases/<code>", "GET"): staff_only(CASE_READERS),
    ("/api/v1/notifications", "GET"): staff_only(STAFF),
    # --- Open311 GeoReport v2 (issue 10): reading is public, posting needs an api_key ----------
    ("/open311/v2/", "GET"): everyone("ok"),
    ("/open311/v2/discovery.<fmt>", "GET"): everyone("ok"),
    ("/open311/v2/services.<fmt>", "GET"): everyone("ok"),
    ("/open311/v2/services/<code>.<fmt>", "GET"): everyone("ok"),
    ("/open311/v2/requests.<fmt>", "GET"): everyone("ok"),
    ("/open311/v2/requests.<fmt>", "POST"): everyone("forbidden"),  # no api_key: 403 (spec)
    ("/open311/v2/requests/<request_id>.<fmt>", "GET"): everyone("ok"),
    ("/open311/v2/tokens/<token>.<fmt>", "GET"): everyone("ok"),
    ("/open311/v2/<path:anything>", "GET"): everyone("not_found"),
    ("/open311/v2/<path:anything>", "POST"): everyone("not_found"),
}


# ---- the world the calls run in --------------------------------------------------------------

@dataclass
class World:
    """Real path arguments: per caller (its own case) and shared (admin objects)."""
    shared: dict[str, object]
    per_role: dict[str, dict[str, object]] = field(default_factory=dict)

    def arguments(self, role: str) -> dict[str, object]:
        return {**self.shared, **self.per_role[role]}


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


REPORT = {"full_name": "Lê Thị Thu", "phone": "0913 456 789", "email": None,
          "category": "security", "description": "Đèn tín hiệu ở ngã tư bị hỏng, xe cộ nguy hiểm",
          "address": "Phường 5, TP Cà Mau", "lat": None, "lon": None, "urgent": False,
          "consent_share_identity": False}


def _case_in_owning_agency() -> dict[str, object]:
    """A report with a photo, dispatched (urgent: the leader is notified) to the owning agency."""
    from caseapp.extensions import db
    from caseapp.models import Case, CasePhoto, User, WorkItem
    from caseapp.services.cases import submission, tasks
    from caseapp.services.cases.photos import clean_photos

    case, _ = submission.submit_report(dict(REPORT), photos=clean_photos([("p.png", _png())]))
    code = case.tracking_code
    operator = db.session.scalars(db.select(User).where(User.username == "operator")).one()

    def open_item(form_key: str) -> str:
        return db.session.scalars(db.select(WorkItem.id).join(Case, Case.id == WorkItem.case_id)
                                  .where(Case.tracking_code == code, WorkItem.form_key == form_key,
                                         WorkItem.state == "open")).one()

    tasks.complete(operator, open_item("dispatch"), {"action": "dispatch", "agency": OWNING_AGENCY,
                                                     "urgent": True, "note": None})
    photo_id = db.session.scalars(db.select(CasePhoto.id).join(Case, Case.id == CasePhoto.case_id)
                                  .where(Case.tracking_code == code)).first()
    return {"code": code, "item_id": open_item("handle"), "photo_id": photo_id}


def warm_holiday_tables() -> None:
    """The first look-up of the holiday tables costs ~0.7 s of CPU (the `holidays` package loads
    VN's module); made inside the sandbox (deploy's dry run of sla_due) it comes close to the
    script time limit. Not what these tests are about: load them first."""
    from caseapp.calendar.days import public_holiday_name
    public_holiday_name(date.today())


def _announcement_by(author) -> int:
    from datetime import datetime, timedelta, timezone
    from caseapp.services.announcements import publish_announcement
    now = datetime.now(timezone.utc)
    return publish_announcement(author, {"title": "Triều cường", "text": "Nước dâng cao ven sông",
                                         "area": "TP Cà Mau", "starts_at": now - timedelta(hours=1),
                                         "ends_at": now + timedelta(days=1)}).id


def _open311_key(actor) -> int:
    from caseapp.services.open311.keys import issue_key
    return issue_key(actor, "route access test")[0].id


def _draft_by(designer) -> int:
    from caseapp.services.administration.processes import active_version
    from caseapp.services.process_design.drafts import draft_from_version
    return draft_from_version(designer, active_version().id).id


def _move_run_by(designer) -> int:
    from caseapp.services.administration.processes import active_version
    from caseapp.services.cases.move_runs import create_run, execute_run
    run = create_run(active_version(), designer)
    execute_run(run.id)  # nothing is on an earlier version: done at once
    return run.id


def build_world() -> World:
    """Inside an app context on a seeded database: one case per caller, and the shared ids."""
    from caseapp.extensions import db
    from caseapp.models import (Agency, Case, Category, District, Notification, ProcessVersion,
                                User)
    from caseapp.services.administration.sla_and_calendar import declare_calendar_day

    def one(model, column, value):
        return db.session.scalars(db.select(model.id).where(column == value)).first()

    def user(role):
        return db.session.scalars(db.select(User).where(User.username == USERS[role])).one()

    admin = user("admin")
    world = World(shared={
        "filename": "css/app.css",
        "agency_id": one(Agency, Agency.code, SPARE_AGENCY),
        "category_id": db.session.scalars(db.select(Category.id)).first(),
        "service_code": db.session.scalars(db.select(Category.code)).first(),
        "user_id": one(User, User.username, SPARE_USER),
        "version_id": db.session.scalars(db.select(ProcessVersion.id)).first(),
        "phase": "dispatch",
        "day": DECLARED_DAY.isoformat(),
        "language": "en",
        "open311_format": "json",
        "export_format": "csv",
        "table_id": "received",
        "anything": "no-such-resource",
        "district_id": db.session.scalars(db.select(District.id)).first(),
        "key_id": _open311_key(admin),
    })
    declare_calendar_day(admin, DECLARED_DAY, "day_off", "route access test")
    for role in ROLES:
        world.per_role[role] = _case_in_owning_agency()
        world.per_role[role]["case_id"] = one(Case, Case.tracking_code,
                                              world.per_role[role]["code"])
        # each caller may withdraw (or fail to withdraw) an announcement of its own
        world.per_role[role]["announcement_id"] = _announcement_by(user("supervisor"))
        world.per_role[role]["draft_id"] = _draft_by(user("designer"))
        world.per_role[role]["spare_draft_id"] = _draft_by(user("designer"))  # the one deleted
    world.shared["run_id"] = _move_run_by(user("designer"))  # moving cases (issue 9)
    world.shared["notification_id"] = db.session.scalars(db.select(Notification.id).where(
        Notification.recipient_user_id == user("leader").id)).first()
    db.session.remove()
    return world


_ARGUMENT = re.compile(r"<(?:[a-z_]+(?:\([^)]*\))?:)?([a-z_]+)>")

# Where an argument's name means something else: rule prefix -> {argument: key in the world}.
RENAMED_ARGUMENTS = {
    "/lang/": {"code": "language"},
    "/open311/v2/services/": {"code": "service_code", "fmt": "open311_format"},
    "/open311/v2/requests/": {"request_id": "case_id", "fmt": "open311_format"},
    "/open311/v2/tokens/": {"token": "code", "fmt": "open311_format"},
    "/open311/v2/": {"fmt": "open311_format"},
    "/leader/export/": {"fmt": "export_format"},
    "/process/drafts/<int:draft_id>/delete": {"draft_id": "spare_draft_id"},
}


def path_for(rule: str, arguments: dict[str, object]) -> str:
    """The rule with real arguments filled in."""
    values = dict(arguments)
    for prefix, renamed in RENAMED_ARGUMENTS.items():
        if rule.startswith(prefix):
            values.update({name: arguments[key] for name, key in renamed.items()})
            break
    def value(match) -> str:
        if match.group(1) not in values:
            raise LookupError(f"no value for <{match.group(1)}> of {rule}: add one to build_world "
                              "(or to RENAMED_ARGUMENTS)")
        return str(values[match.group(1)])
    return _ARGUMENT.sub(value, rule)


# ---- calling as a caller ---------------------------------------------------------------------

class Caller:
    """A test client acting as one caller: signed in on the web and holding an API token (staff),
    or an anonymous browser that has sent its own report (citizen)."""

    def __init__(self, app, role: str, world: World, password: str = "pw"):
        self.app, self.role, self.world, self.password = app, role, world, password
        self.client = app.test_client()
        self.token = None
        self.sign_in()

    def sign_in(self) -> None:
        if self.role == "citizen":
            with self.client.session_transaction() as session:
                session["last_report"] = self.world.per_role["citizen"]["code"]
        if self.role not in USERS:
            return
        credentials = {"username": USERS[self.role], "password": self.password}
        response = self.client.post("/login", data=credentials)
        assert response.status_code == 302, (self.role, response.status_code)
        response = self.client.post("/api/v1/tokens", json=credentials)
        assert response.status_code == 201, (self.role, response.get_json())
        self.token = response.get_json()["token"]

    def call(self, rule: str, method: str):
        """Call the rule with this caller's arguments; sign in again if the call ended the session."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        kwargs = {"json": {}} if rule.startswith("/api/") and method == "POST" else {"data": {}}
        response = self.client.open(path_for(rule, self.world.arguments(self.role)), method=method,
                                    headers=headers, **kwargs)
        if rule == "/logout":
            self.sign_in()
        return response


def outcome_of(response) -> str:
    """The outcome class of a response (see the module docstring)."""
    from urllib.parse import urlsplit
    status = response.status_code
    if status == 401 or (300 <= status < 400
                         and urlsplit(response.headers.get("Location", "")).path == "/login"):
        return "login"
    if 200 <= status < 300:
        return "ok"
    if 300 <= status < 400:
        return "redirect"
    return {400: "invalid", 422: "invalid", 409: "conflict", 403: "forbidden",
            404: "not_found"}.get(status, f"status {status}")


def url_map_routes(app) -> set[tuple[str, str]]:
    """Every (rule, method) the app answers, without the HEAD and OPTIONS Flask adds itself."""
    return {(rule.rule, method) for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}
