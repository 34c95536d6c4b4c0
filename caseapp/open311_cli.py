"""`flask open311 key create|revoke|list`: Open311 API keys from the command line (audited)."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from .services.errors import ServiceError

open311_cli = AppGroup("open311", help="Open311 GeoReport v2: API keys for other systems.")


@open311_cli.group("key")
def key_group():
    """Issue, revoke and list the keys that let other systems post reports."""


def _fail(exc: ServiceError) -> None:
    click.echo(f"Error: {exc.message}", err=True)
    for field, problems in exc.fields.items():
        click.echo(f"  {field}: {'; '.join(problems)}", err=True)
    sys.exit(2)


def _actor(username: str | None):
    """The admin the audit log names (--by), else the command line itself."""
    if not username:
        return None
    from .extensions import db
    from .models import User
    user = db.session.scalars(db.select(User).where(User.username == username)).first()
    if user is None or user.role != "admin":
        raise click.BadParameter(f"{username} is not an admin account", param_hint="--by")
    return user


@key_group.command("create")
@click.argument("name")
@click.option("--by", "by", default=None, help="the admin's username, for the audit log")
def key_create(name, by):
    """Issue a key named NAME; the key is printed once, on the last line."""
    from .services.open311.keys import issue_key
    try:
        row, plain = issue_key(_actor(by), name)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"Open311 key {row.name!r} issued (id {row.id}); copy it now, it is shown only once:")
    click.echo(plain)


@key_group.command("revoke")
@click.argument("name_or_id")
@click.option("--by", "by", default=None, help="the admin's username, for the audit log")
def key_revoke(name_or_id, by):
    """Revoke a key by its name or id: posts with it are refused at once."""
    from .services.open311.keys import revoke_key
    try:
        row = revoke_key(_actor(by), name_or_id)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"Open311 key {row.name!r} (id {row.id}) revoked at {row.revoked_at.isoformat()}")


@key_group.command("list")
def key_list():
    """Every key: id, name, state, when and by whom it was issued, when it was last used."""
    from .services.open311.keys import creator_names, list_keys
    rows = list_keys()
    names = creator_names(rows)
    for row in rows:
        state = "active" if row.active else f"revoked {row.revoked_at.isoformat()}"
        used = row.last_used_at.isoformat() if row.last_used_at else "never used"
        by = names.get(row.created_by_id, "command line")
        click.echo(f"{row.id}\t{row.name}\t{state}\tissued {row.created_at.isoformat()} by {by}\t{used}")
