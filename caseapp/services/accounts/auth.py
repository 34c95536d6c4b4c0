"""Checking staff credentials, with a lockout after repeated failures.

Failures are counted per (username, source): five from one client address lock that username
for that address only, so a stranger cannot lock a staff member out of their own desk; twenty
from one address, over any usernames, lock the address. Counts expire a quarter of an hour
after their last failure. Known and unknown usernames cost the same password hash.
"""
from __future__ import annotations

import secrets
from datetime import timedelta
from functools import cache

from sqlalchemy.dialects import postgresql, sqlite
from werkzeug.security import check_password_hash

from ...extensions import db
from ...models import User, org, utcnow
from ...models.org import LoginFailure
from ..errors import ServiceError

MAX_FAILURES = 5  # per username and source
MAX_SOURCE_FAILURES = 20  # per source, over all usernames
LOCKOUT = timedelta(minutes=15)


class LoginFailed(ServiceError):
    status = 401
    code = "invalid_credentials"


class LockedOut(ServiceError):
    status = 429
    code = "locked_out"


@cache
def _dummy_hash() -> str:
    """A hash made like the real ones, checked for unknown usernames so they take as long."""
    return org.generate_password_hash(secrets.token_urlsafe(16))


def _usable(text) -> bool:
    """A string the database and the hash function take: no NUL, no lone surrogate (JSON)."""
    if not isinstance(text, str) or "\x00" in text:
        return False
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def authenticate(username: str, password: str, source: str) -> User:
    """Return the user for good credentials; lock a username for a source after five failures
    and a source after twenty, for a quarter of an hour."""
    if not _usable(username) or not _usable(password) or not username.strip():
        raise LoginFailed("wrong username or password")
    username = username.strip()
    key, source, now = username.lower()[:80], source[:64], utcnow()
    if _locked(key, source, now):
        raise LockedOut("too many failed attempts; try again in a few minutes")
    user = db.session.scalars(db.select(User).where(User.username == username)).first()
    password_ok = check_password_hash(user.password_hash if user else _dummy_hash(), password)
    if user is None or not user.active or not password_ok:
        _record_failure(key, source, now)
        raise LoginFailed("wrong username or password")
    db.session.execute(db.delete(LoginFailure).where(LoginFailure.username == key,
                                                     LoginFailure.source == source))
    db.session.commit()
    return user


def _locked(key: str, source: str, now) -> bool:
    recent = LoginFailure.last_failed_at > now - LOCKOUT
    mine = db.session.scalar(db.select(LoginFailure.failures).where(
        LoginFailure.username == key, LoginFailure.source == source, recent)) or 0
    from_source = db.session.scalar(db.select(db.func.sum(LoginFailure.failures)).where(
        LoginFailure.source == source, recent)) or 0
    return mine >= MAX_FAILURES or from_source >= MAX_SOURCE_FAILURES


def _record_failure(key: str, source: str, now) -> None:
    """Count one failure (an upsert: two at once never collide) and forget expired counts."""
    db.session.execute(db.delete(LoginFailure).where(LoginFailure.last_failed_at <= now - LOCKOUT))
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(LoginFailure).values(username=key, source=source, failures=1,
                                                 last_failed_at=now)
    db.session.execute(insert.on_conflict_do_update(
        index_elements=[LoginFailure.username, LoginFailure.source],
        set_={"failures": LoginFailure.failures + 1, "last_failed_at": now}))
    db.session.commit()


def clear_failures(username: str) -> None:
    """Lift the lockout of a username from every source (an admin's password reset)."""
    db.session.execute(db.delete(LoginFailure).where(LoginFailure.username == username.lower()))
