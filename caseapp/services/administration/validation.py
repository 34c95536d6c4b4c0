"""Input checks shared by the admin commands: field readers, the common messages, commit helpers.

Error messages are English msgids marked with N_ so the admin screens can translate them.
"""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ..errors import ValidationFailed


def N_(message: str) -> str:
    """Mark a message for translation; the screens translate it when they show it."""
    return message


MSG_REQUIRED = N_("This field is required.")
MSG_TOO_LONG = N_("This value is too long.")
MSG_UNKNOWN_KIND = N_("Unknown kind.")


def text(data: dict, name: str, errors: dict, *, max_len: int, required: bool = False) -> str | None:
    value = data.get(name)
    value = value.strip() if isinstance(value, str) else ("" if value is None else str(value).strip())
    if not value:
        if required:
            errors[name] = [MSG_REQUIRED]
        return None
    if len(value) > max_len:
        errors[name] = [MSG_TOO_LONG]
    return value


def flag(data: dict, name: str, default: bool = True) -> bool:
    value = data.get(name, default)
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y", "on")
    return bool(value)


def changes(row, after: dict) -> dict:
    """Apply `after` to row; return {"before": …, "after": …} of the fields that changed."""
    before, changed = {}, {}
    for name, value in after.items():
        old = getattr(row, name)
        if old != value:
            before[name], changed[name] = old, value
            setattr(row, name, value)
    return {"before": before, "after": changed}


def commit_unique(field: str, message: str) -> None:
    """Commit; a unique violation from a concurrent admin becomes a field error."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ValidationFailed("duplicate value", {field: [message]}) from None


def raise_if(errors: dict, message: str) -> None:
    if errors:
        db.session.rollback()
        raise ValidationFailed(message, errors)
