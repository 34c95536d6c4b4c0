"""API bearer tokens: signed, expiring, revoked when the account is disabled."""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ...extensions import db
from ...models import User
from ..errors import ServiceError

TOKEN_MAX_AGE = 12 * 3600


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="api-token")


def issue_token(username: str, password: str) -> str:
    """Exchange credentials for a token the mobile app sends as Bearer."""
    from .auth import authenticate
    user = authenticate(username, password)
    return _serializer().dumps({"uid": user.id, "ph": user.password_hash[-12:]})


def user_from_token(token: str) -> User:
    """The staff member a bearer token stands for."""
    try:
        payload = _serializer().loads(token, max_age=TOKEN_MAX_AGE)
    except SignatureExpired as exc:
        raise Unauthorized("the token has expired; ask for a new one") from exc
    except BadSignature as exc:
        raise Unauthorized("invalid token") from exc
    user = db.session.get(User, payload.get("uid"))
    if user is None or not user.active or user.password_hash[-12:] != payload.get("ph"):
        raise Unauthorized("invalid token")
    return user
