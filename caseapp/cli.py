"""Command-line tools: deploy, demo data, SLA policies, the calendar, deadline sweeps."""
from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from caseapp.calendar.days import LOCAL_TZ
from .extensions import db
from .services.errors import ServiceError

sla_cli = AppGroup("sla", help="SLA policies: durations per phase for working days and days off.")
calendar_cli = AppGroup("calendar", help="Declared days off and make-up working days.")
deadlines_cli = AppGroup("deadlines", help="Deadline firing.")
personal_data_cli = AppGroup("personal-data", help="Reporters' personal data: keys, retention, "
                             "and reporters' requests (export, erasure).")


def _fail(exc: ServiceError) -> None:
    click.echo(f"Error: {exc.message}", err=True)
    for field, problems in exc.fields.items():
        click.echo(f"  {field}: {'; '.join(problems)}", err=True)
    sys.exit(2)


def parse_moment(text: str) -> datetime:
    """ISO date-time with any offset (Z for UTC); without an offset it is Vietnamese local time."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(f"not an ISO-8601 date-time: {text!r}") from None
    return moment.replace(tzinfo=LOCAL_TZ) if moment.tzinfo is None else moment


def parse_day(text: str) -> date:
    """A calendar day as YYYY-MM-DD."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(f"not a date YYYY-MM-DD: {text!r}") from None


@sla_cli.command("set")
@click.argument("phase")
@click.option("--working", required=True, help="ISO-8601 duration on a working day, e.g. PT2H")
@click.option("--dayoff", required=True, help="ISO-8601 duration on a day off, e.g. PT12H")
@click.option("--label", default=None, help="what people read for the phase, in Vietnamese")
@click.option("--label-en", "label_en", default=None, help="the same in English")
@click.option("--apply-to-running", is_flag=True,
              help="also recompute pending deadlines of running cases from their phase start")
def sla_set(phase, working, dayoff, label, label_en, apply_to_running):
    """Set the durations allowed for a phase; a new phase name (e.g. site_visit) creates it."""
    from .services.administration.sla_settings import set_policy
    from .services.cases.recompute import recompute_for_phase
    try:
        row = set_policy(phase, working, dayoff, label=label, label_en=label_en)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"{row.phase}: working {row.working_duration}, day off {row.dayoff_duration}")
    if apply_to_running:
        changed = recompute_for_phase(row.phase)
        click.echo(f"recomputed {changed} pending deadline(s)")


@sla_cli.command("list")
def sla_list():
    """Show every SLA policy."""
    from .services.administration.sla_settings import load_policies, phase_label
    for phase, policy in sorted(load_policies().items()):
        click.echo(f"{phase}\tworking {policy.working}\tday off {policy.dayoff}\t{phase_label(phase)}")


@sla_cli.command("due")
@click.argument("phase")
@click.option("--at", "at", required=True, help="phase start, ISO-8601 (any offset; none = local)")
def sla_due(phase, at):
    """Print when a phase starting at --at is due, as ISO-8601 with +07:00."""
    from .services.administration.sla_settings import compute_due
    try:
        click.echo(compute_due(phase, parse_moment(at)).isoformat())
    except ServiceError as exc:
        _fail(exc)


def _declare(day_text: str, kind: str, note: str | None) -> None:
    from .services.cases.recompute import recompute_for_day
    from .services.administration.sla_settings import declare_day
    day = parse_day(day_text)
    try:
        declare_day(day, kind, note)
    except ServiceError as exc:
        _fail(exc)
    changed = recompute_for_day(day)
    label = "day off" if kind == "day_off" else "make-up working day"
    click.echo(f"{day.isoformat()} declared a {label}; {changed} pending deadline(s) recomputed")


@calendar_cli.command("add-day-off")
@click.argument("day")
@click.option("--note", default=None)
def add_day_off(day, note):
    """Declare a province day off."""
    _declare(day, "day_off", note)


@calendar_cli.command("add-working-day")
@click.argument("day")
@click.option("--note", default=None)
def add_working_day(day, note):
    """Declare a make-up working day (e.g. a Saturday)."""
    _declare(day, "working", note)


@calendar_cli.command("remove")
@click.argument("day")
def remove_day(day):
    """Withdraw a declaration."""
    from .services.cases.recompute import recompute_for_day
    from .services.administration.sla_settings import remove_day as remove
    parsed = parse_day(day)
    try:
        remove(parsed)
    except ServiceError as exc:
        _fail(exc)
    changed = recompute_for_day(parsed)
    click.echo(f"{parsed.isoformat()} withdrawn; {changed} pending deadline(s) recomputed")


@calendar_cli.command("list")
def calendar_list():
    """Show the declared days."""
    from .models import CalendarDay
    for row in db.session.scalars(db.select(CalendarDay).order_by(CalendarDay.day)):
        click.echo(f"{row.day.isoformat()}\t{row.kind}\t{row.note or ''}")


@deadlines_cli.command("sweep")
def deadlines_sweep():
    """Fire every due deadline once (safe to run alongside workers and other sweeps)."""
    from .services.cases.deadlines import sweep
    click.echo(f"fired {sweep()} deadline(s)")


@personal_data_cli.command("rotate-keys")
@click.option("--batch", default=500, show_default=True, type=click.IntRange(1, 10000))
def personal_data_rotate_keys(batch):
    """Re-encrypt every reporter's identity with the first PERSONAL_DATA_KEYS key (and re-index phones)."""
    from .services.privacy.keys import rotate_keys
    result = rotate_keys(batch=batch)
    click.echo(f"{result.cases} case(s): {result.reencrypted} re-encrypted, "
               f"{result.digests} phone digest(s) recomputed")


@personal_data_cli.command("retention")
@click.option("--days", default=None, help="days after a case closed before its reporter's identity "
              "is removed; 'off' keeps identities; without --days, show the setting")
def personal_data_retention(days):
    """Show or set the retention period of reporters' identities on closed cases."""
    from .services.privacy.retention import retention_days, set_retention
    if days is not None:
        try:
            set_retention(None, None if days.strip().lower() in ("off", "none", "") else days)
        except ServiceError as exc:
            _fail(exc)
    current = retention_days()
    click.echo(f"retention: {current} day(s) after closing" if current is not None
               else "retention: off (identities are kept until erased on request)")


@personal_data_cli.command("purge")
def personal_data_purge():
    """Remove the identity from every closed case past the retention period (never open ones)."""
    from .services.privacy.retention import purge_expired
    click.echo(f"purged the reporter's identity from {purge_expired()} case(s)")


@personal_data_cli.command("export")
@click.option("--phone", required=True, help="the reporter's phone number")
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-",
              help="file to write the JSON to (default: standard output)")
def personal_data_export(phone, output):
    """Everything held about one phone number, as JSON (a reporter's access request)."""
    import json
    from .services.privacy.subject_requests import export_for_phone
    try:
        data = export_for_phone(None, phone)
    except ServiceError as exc:
        _fail(exc)
    json.dump(data, output, ensure_ascii=False, indent=2)
    output.write("\n")
    click.echo(f"{len(data['cases'])} case(s) exported", err=True)


@personal_data_cli.command("erase")
@click.option("--phone", required=True, help="the reporter's phone number")
@click.confirmation_option(prompt="Remove this reporter's name, phone and e-mail from every case?")
def personal_data_erase(phone):
    """Remove the identity from every case with this phone (a reporter's erasure request)."""
    from .services.privacy.subject_requests import erase_for_phone
    try:
        count = erase_for_phone(None, phone)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"the reporter's identity was removed from {count} case(s)")


@click.command("restart-failed-reports")
def restart_failed_reports_command():
    """Start, on the active diagram, the reports kept because their process could not start."""
    from .services.cases.submission import restart_failed_reports
    click.echo(f"started {restart_failed_reports()} report(s)")


@click.command("seed-demo")
@click.option("--password", required=True, help="password for every demo account")
@click.option("--no-cases", is_flag=True, help="only the province and its logins: no demo reports")
def seed_demo_command(password, no_cases):
    """Create the Cà Mau demo province, its logins and demo reports in every phase (idempotent)."""
    from .services.administration.seed import seed_demo
    logins = seed_demo(password)
    click.echo("Demo logins (every one uses the same password):")
    click.echo(demo_login_table(logins))
    click.echo(f"Password for every demo login: {password}")
    if not no_cases:
        from .services.administration.demo_cases import build_demo_cases
        created, existing = build_demo_cases()
        click.echo(f"Demo reports: {created} created, {existing} already there "
                   "(waiting dispatch, being handled, returned and re-dispatched, waiting for the "
                   "reply, answered, rejected; some late)")


def demo_login_table(logins) -> str:
    """username, role, agency and the page each login lands on, as an aligned text table."""
    from flask import current_app
    from .models import Agency, User
    from .views.auth import home_for
    agencies = dict(db.session.execute(db.select(Agency.code, Agency.name)).all())
    rows = [("username", "role", "agency", "lands on")]
    with current_app.test_request_context("/"):
        for username, role, agency in logins:
            user = db.session.scalars(db.select(User).where(User.username == username)).first()
            rows.append((username, role,
                         agencies.get(agency, agency) if agency else "",
                         home_for(user) if user is not None else ""))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  " + "  ".join(value.ljust(width) for value, width in zip(row, widths)).rstrip()
             for row in rows]
    lines.insert(1, "  " + "  ".join("-" * width for width in widths))
    return "\n".join(lines)


@click.command("deploy")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--accept-warnings", is_flag=True,
              help="Deploy even if the checks give warnings (errors always refuse).")
def deploy_command(path, accept_warnings):
    """Check and deploy a BPMN file (default: bpmn/field_report.bpmn)."""
    from .services.administration.processes import BPMN_DIR, MAIN_PROCESS, deploy_bpmn
    xml = Path(path or BPMN_DIR / f"{MAIN_PROCESS}.bpmn").read_text(encoding="utf-8")
    try:
        version, created = deploy_bpmn(xml, accept_warnings=accept_warnings)
    except ServiceError as exc:
        click.echo("Error: the diagram was not deployed:", err=True)
        for line in _problem_lines(exc):  # every reason at once (process_design.rules)
            click.echo(line, err=True)
        if not any(getattr(p, "severity", "error") == "error"
                   for p in getattr(exc, "problems", [None])):
            click.echo("Only warnings remain: deploy with --accept-warnings to accept them.",
                       err=True)
        sys.exit(2)
    state = "deployed" if created else "already deployed"
    click.echo(f"{version.process_id} v{version.version} {state} ({version.bpmn_sha256[:12]})")


def _problem_lines(exc) -> list[str]:
    """'  - [error] rule element-id (name): message' for each problem of a refused diagram."""
    problems = getattr(exc, "problems", None)
    if not problems:
        return [f"  - {problem}" for problem in exc.fields.get("bpmn") or [exc.message]]
    lines = []
    for p in problems:
        where = f" {p.element_id}" + (f" ({p.element_name})" if p.element_name else "") \
            if p.element_id else ""
        lines.append(f"  - [{p.severity}] {p.rule}{where}: {p.message}")
    return lines


@click.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
def serve_command(host, port):
    """Run the app with the embedded deadline sweeper (no Redis needed)."""
    from flask import current_app
    from werkzeug.serving import run_simple
    from timers.embedded import start_sweeper
    app = current_app._get_current_object()
    start_sweeper(app)
    run_simple(host, port, app, threaded=True, use_reloader=False)


def register_cli(app: Flask) -> None:
    """Attach every command to `flask --app wsgi`."""
    for command in (sla_cli, calendar_cli, deadlines_cli, personal_data_cli, seed_demo_command, deploy_command,
                    serve_command, restart_failed_reports_command):
        app.cli.add_command(command)
    from .open311_cli import open311_cli
    app.cli.add_command(open311_cli)
    from .figures_cli import figures_cli  # the dashboard's daily rollup
    app.cli.add_command(figures_cli)
    from .migrate_cli import migrate_cli  # moving running cases to a newer version (issue 9)
    app.cli.add_command(migrate_cli)
