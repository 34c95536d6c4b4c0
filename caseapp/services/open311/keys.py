"""Open311 API keys: issued and revoked by admins (screen or CLI), checked on every POST."""
from __future__ import annotations

import hashlib
import secrets

from ...extensions import db
from ...models import Open311Key, utcnow
from ..cases.audit import record_admin_change
from ..administration.validation import MSG_REQUIRED, N_, commit_unique, text
from ..cases.validation import has_refused_characters, is_blank
from ..errors import Forbidden, NotFound, ValidationFailed

KEY_PREFIX = "o311_"
NAME_LIMIT = 80
MSG_INVALID_KEY = "api_key is missing, unknown or revoked"
MSG_NAME_TAKEN = N_("This name is already used by another key.")
MSG_INVISIBLE_NAME = N_("The name contains invisible or control characters.")


def hash_key(key: str) -> str:
    """What is stored for a key: its SHA-256 (keys are long random strings, so no salt or slow
    hash is needed to keep them from being guessed back)."""
    return hashlib.sha256(key.strip().encode("utf-8", "surrogatepass")).hexdigest()


def issue_key(actor, name: str) -> tuple[Open311Key, str]:
    """A new key for an outside system; the plain key is returned once and never stored."""
    name = clean_name(name)
    if db.session.scalar(db.select(Open311Key.id).where(Open311Key.name == name)) is not None:
        raise ValidationFailed("a key with this name already exists; choose another name",
                               {"name": [MSG_NAME_TAKEN]})
    plain = KEY_PREFIX + secrets.token_urlsafe(32)
    row = Open311Key(name=name, key_hash=hash_key(plain), created_at=utcnow(),
                     created_by_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()  # the id, for the audit log
    record_admin_change(actor, "open311_key.create", name, {"id": row.id})
    commit_unique("name", MSG_NAME_TAKEN)  # two admins choosing one name at once
    return row, plain


def clean_name(name) -> str:
    """A key's name: visible text that says who uses it, e.g. the city's 311 app."""
    errors: dict[str, list[str]] = {}
    name = text({"name": name}, "name", errors, max_len=NAME_LIMIT, required=True)
    if name and not errors and is_blank(name):
        errors["name"] = [MSG_REQUIRED]
    elif name and not errors and has_refused_characters(name):
        errors["name"] = [MSG_INVISIBLE_NAME]
    if errors:
        raise ValidationFailed("the key's name is not valid", errors)
    return name


def find_key(name_or_id) -> Open311Key:
    """A key by its name, or by its id (a number the list shows)."""
    text = str(name_or_id or "").strip()
    row = db.session.scalars(db.select(Open311Key).where(Open311Key.name == text)).first()
    if row is None and text.isdigit():
        row = db.session.get(Open311Key, int(text))
    if row is None:
        raise NotFound("no Open311 key has this name or id")
    return row


def revoke_key(actor, name_or_id) -> Open311Key:
    """Stop a key at once; revoking a revoked key changes nothing and logs nothing."""
    row = find_key(name_or_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        row.revoked_by_id = getattr(actor, "id", None)
        record_admin_change(actor, "open311_key.revoke", row.name, {"id": row.id})
        db.session.commit()
    return row


def list_keys() -> list[Open311Key]:
    """Every key, active ones first, newest first."""
    return list(db.session.scalars(db.select(Open311Key).order_by(
        Open311Key.revoked_at.is_not(None), Open311Key.created_at.desc(), Open311Key.id.desc())))


def key_for(api_key) -> Open311Key:
    """The active key a POST carries, or 403: a missing, unknown or revoked key is refused."""
    if not isinstance(api_key, str) or not api_key.strip():
        raise Forbidden(MSG_INVALID_KEY, code="invalid_api_key")
    row = db.session.scalars(db.select(Open311Key).where(
        Open311Key.key_hash == hash_key(api_key))).first()
    if row is None or row.revoked_at is not None:
        raise Forbidden(MSG_INVALID_KEY, code="invalid_api_key")
    return row


def creator_names(rows: list[Open311Key]) -> dict[int, str]:
    """Usernames of who issued or revoked the listed keys (for the admin screen and the CLI)."""
    from ...models import User
    ids = {i for row in rows for i in (row.created_by_id, row.revoked_by_id) if i}
    if not ids:
        return {}
    return dict(db.session.execute(db.select(User.id, User.username).where(User.id.in_(ids))).all())
