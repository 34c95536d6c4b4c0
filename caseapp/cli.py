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


@click.command("restart-failed-reports")
def restart_failed_reports_command():
    """Start, on the active diagram, the reports kept because their process could not start."""
    from .services.cases.submission import restart_failed_reports
    click.echo(f"started {restart_failed_reports()} report(s)")


@click.command("seed-demo")
@click.option("--password", required=True, help="password for every demo account")
def seed_demo_command(password):
    """Create the Cà Mau demo province (idempotent)."""
    from .services.administration.seed import seed_demo
    logins = seed_demo(password)
    click.echo(f"Demo data ready. Every demo login uses the password: {password}")
    for username, role, agency in logins:
        click.echo(f"  {username:<28} {role:<11} {agency}")


@click.command("deploy")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False))
def deploy_command(path):
    """Validate and deploy a BPMN file (default: bpmn/field_report.bpmn)."""
    from .services.administration.processes import deploy_bpmn, deploy_bundled
    try:
        version, created = deploy_bpmn(Path(path).read_text(encoding="utf-8")) if path \
            else deploy_bundled()
    except ServiceError as exc:
        problems = exc.fields.get("bpmn") or [exc.message]
        click.echo("Error: the diagram was not deployed:", err=True)
        for problem in problems:  # every reason at once (process_checks.deploy_problems)
            click.echo(f"  - {problem}", err=True)
        sys.exit(2)
    state = "deployed" if created else "already deployed"
    click.echo(f"{version.process_id} v{version.version} {state} ({version.bpmn_sha256[:12]})")


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
    for command in (sla_cli, calendar_cli, deadlines_cli, seed_demo_command, deploy_command,
                    serve_command, restart_failed_reports_command):
        app.cli.add_command(command)
