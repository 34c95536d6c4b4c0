"""API bearer tokens: signed, expiring, and revoked with the account's sessions (logout, new
password, disabled account: the session version they carry no longer matches)."""
from __future__ import annotations

from flask import current_app
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ...extensions import db
from ...models import User
from ..errors import ServiceError
from .auth import authenticate

TOKEN_MAX_AGE = 12 * 3600


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="api-token")


def issue_token(username: str, password: str) -> str:
    """Exchange credentials for a token the mobile app sends as Bearer (the lockout counts the
    failures per client address, as the rate limiter does)."""
    user = authenticate(username, password, get_remote_address())
    return _serializer().dumps({"uid": user.id, "sv": user.session_version})


def user_from_token(token: str) -> User:
    """The staff member a bearer token stands for."""
    try:
        payload = _serializer().loads(token, max_age=TOKEN_MAX_AGE)
    except SignatureExpired as exc:
        raise Unauthorized("the token has expired; ask for a new one") from exc
    except BadSignature as exc:
        raise Unauthorized("invalid token") from exc
    uid, version = payload.get("uid"), payload.get("sv")
    if not isinstance(uid, int) or not isinstance(version, int):
        raise Unauthorized("invalid token")
    user = db.session.get(User, uid)
    if user is None or not user.active or user.session_version != version:
        raise Unauthorized("invalid token")
    return user
