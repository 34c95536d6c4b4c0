"""`flask --app wsgi migrate --to VERSION [--dry-run] [--case CODE]` and `migrate revert CODE`:
move running cases to a newer process version from the command line (issue 9)."""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from .services.errors import ServiceError


def _fail(exc: ServiceError) -> None:
    click.echo(f"Error: {exc.message}", err=True)
    sys.exit(2)


def _actor(username: str | None):
    """The designer or admin the audit trail names (--by), else the command line (system)."""
    if not username:
        return None
    from .extensions import db
    from .models import User
    user = db.session.scalars(db.select(User).where(User.username == username)).first()
    if user is None or user.role not in ("designer", "admin"):
        raise click.BadParameter(f"{username} is not a designer or admin account", param_hint="--by")
    return user


def _print_dry_run(target, codes) -> None:
    from .services.cases.move_runs import dry_run
    page, movable, blocked = 1, 0, 0
    while True:
        result = dry_run(target, codes, page=page, per_page=200)
        for row in result["cases"]:
            if row["can_move"]:
                movable += 1
                click.echo(f"{row['code']}  v{row['from_version']} at {row['task']}: can move")
            else:
                blocked += 1
                why = "; ".join(reason["text"] for reason in row["reasons"])
                click.echo(f"{row['code']}  v{row['from_version']} at {row['task']}: BLOCKED: {why}")
        if result["page"] >= result["pages"]:
            break
        page += 1
    click.echo(f"dry run to v{target.version}: {movable + blocked} case(s), {movable} can move, "
               f"{blocked} blocked")


def _apply(target, codes, actor) -> None:
    from .extensions import db
    from .models import Case
    from .services.cases import moving
    from .services.cases.move_runs import create_run, execute_run, run_summary

    def said(case_id, outcome, result):
        code = db.session.scalar(db.select(Case.tracking_code).where(Case.id == case_id))
        if outcome == moving.MOVED:
            click.echo(f"{code}: moved to v{target.version}")
        elif outcome == moving.BLOCKED:
            why = "; ".join(moving.describe(block) for block in result.plan.reasons)
            click.echo(f"{code}: BLOCKED: {why}")
        elif outcome == "failed":
            click.echo(f"{code}: FAILED: {result}")

    run = create_run(target, actor, codes)
    execute_run(run.id, codes, on_case=said)
    summary = run_summary(run.id)
    click.echo(f"run {summary['id']} to v{target.version}: {summary['total']} case(s), "
               f"{summary['moved']} moved, {summary['blocked']} blocked, {summary['failed']} failed")


@click.group("migrate", invoke_without_command=True,
             help="Move running cases to a newer process version (dry run first), or revert a move.")
@click.option("--to", "to", default=None, help="the version number to move cases to, e.g. 3")
@click.option("--dry-run", "dry", is_flag=True, help="only say, case by case, whether it can move")
@click.option("--case", "codes", multiple=True, help="only this case (tracking code); repeatable")
@click.option("--revert", "revert_code", default=None, help="revert the last move of this case")
@click.option("--by", "by", default=None, help="the designer's username, for the audit trail")
@click.pass_context
@with_appcontext
def migrate_cli(ctx, to, dry, codes, revert_code, by):
    """Dry run, apply, or revert (`migrate revert CODE` does the same as --revert CODE)."""
    if ctx.invoked_subcommand is not None:
        return
    if revert_code:
        _revert(revert_code, by)
        return
    if not to:
        raise click.UsageError("say which version to move to: --to VERSION (or --revert CODE)")
    from .services.cases.moving import find_version
    try:
        target = find_version(to)
        if dry:
            _print_dry_run(target, list(codes))
        else:
            _apply(target, list(codes), _actor(by))
    except ServiceError as exc:
        _fail(exc)


def _revert(code: str, by: str | None) -> None:
    from .services.cases.moving import revert
    try:
        case = revert(code, _actor(by))
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"{case.tracking_code}: move reverted")


@migrate_cli.command("revert")
@click.argument("code")
@click.option("--by", "by", default=None, help="the designer's username, for the audit trail")
@with_appcontext
def revert_command(code, by):
    """Put a moved case back on the version and state it had before its move."""
    _revert(code, by)
