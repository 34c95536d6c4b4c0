"""Checking staff credentials, with a lockout after repeated failures."""
from __future__ import annotations

from datetime import timedelta

from ...extensions import db
from ...models import User, utcnow
from ..errors import ServiceError

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)


class LoginFailed(ServiceError):
    status = 401
    code = "invalid_credentials"


class LockedOut(ServiceError):
    status = 429
    code = "locked_out"


def authenticate(username: str, password: str) -> User:
    """Return the user for good credentials; count failures and lock the account after five."""
    if not isinstance(username, str) or not isinstance(password, str) or not username:
        raise LoginFailed("wrong username or password")
    user = db.session.scalars(db.select(User).where(User.username == username.strip())).first()
    now = utcnow()
    if user is not None and user.locked_until and user.locked_until > now:
        raise LockedOut("too many failed attempts; try again in a few minutes")
    if user is None or not user.active or not user.check_password(password):
        if user is not None:
            user.failed_logins = (user.failed_logins or 0) + 1
            if user.failed_logins >= MAX_FAILURES:
                user.locked_until, user.failed_logins = now + LOCKOUT, 0
            db.session.commit()
        raise LoginFailed("wrong username or password")
    if user.failed_logins or user.locked_until:
        user.failed_logins, user.locked_until = 0, None
        db.session.commit()
    return user
