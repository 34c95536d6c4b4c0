"""Turning the services' English field errors into the visitor's language."""
from __future__ import annotations

import re

from flask_babel import gettext, lazy_gettext as _l

REQUIRED = _l("This field is required.")


def choices(pairs) -> list:
    """(value, label) pairs → WTForms SelectChoice objects (tuples are deprecated in WTForms 3.3)."""
    from wtforms.fields.choices import SelectChoice
    return [p if isinstance(p, SelectChoice) else SelectChoice(p[0], p[1]) for p in pairs]

_EXACT = {
    "required": REQUIRED,
    "must be text": _l("Enter text."),
    "must be true or false": _l("Choose yes or no."),
    "must be a number": _l("Enter a number."),
    "give both latitude and longitude": _l("Give both latitude and longitude."),
    "not a Vietnamese phone number": _l("Enter a Vietnamese phone number, e.g. 0912 345 678."),
    "not a valid e-mail address": _l("Enter a valid e-mail address."),
    "unknown category": _l("Choose a category from the list."),
    "unknown agency": _l("Choose an agency from the list."),
    "required for a duplicate": _l("Give the tracking code of the original report."),
    "no other report has this tracking code": _l("No other report has this tracking code."),
    "at most 3 photos": _l("You can send at most 3 photos."),
    "true or false": _l("Choose yes or no."),
    "whole number": _l("Enter a whole number."),
    "the reply is the agency's internal result unchanged; write it for the reporter": _l(
        "This is the agency's internal result word for word: write the reply for the reporter "
        "(you may start from it, but edit it)."),
    "contains invisible or control characters": _l(
        "Remove invisible or control characters (zero-width spaces, direction marks…)."),
}

_PATTERNS = [
    (re.compile(r"^at least (\d+) characters$"),
     lambda m: gettext("Enter at least %(n)s characters.", n=m.group(1))),
    (re.compile(r"^at most (\d+) characters$"),
     lambda m: gettext("Enter at most %(n)s characters.", n=m.group(1))),
    (re.compile(r"^must be between (\S+) and (\S+)$"),
     lambda m: gettext("Enter a value between %(low)s and %(high)s.", low=m.group(1), high=m.group(2))),
    (re.compile(r"^must be one of: .*$"), lambda m: gettext("Choose one of the options.")),
    (re.compile(r"^(?:(.+): )?each photo must be at most 5 MB$"),
     lambda m: _prefixed(m.group(1), gettext("each photo must be at most 5 MB."))),
    (re.compile(r"^(?:(.+): )?only JPEG or PNG photos are accepted$"),
     lambda m: _prefixed(m.group(1), gettext("only JPEG or PNG photos are accepted."))),
    (re.compile(r"^(?:(.+): )?each photo must be at most 40 megapixels$"),
     lambda m: _prefixed(m.group(1), gettext("each photo must be at most 40 megapixels."))),
    (re.compile(r"^(?:(.+): )?each PNG image must be at most 16 megapixels$"),
     lambda m: _prefixed(m.group(1), gettext("each PNG image must be at most 16 megapixels."))),
    (re.compile(r"^(?:(.+): )?the photo is empty$"),
     lambda m: _prefixed(m.group(1), gettext("the file is empty."))),
]


def _prefixed(name: str | None, text: str) -> str:
    if name:
        return f"{name}: {text}"
    return text[:1].upper() + text[1:]


def translate_error(message: str) -> str:
    """A service message in the current language (unknown messages pass through)."""
    known = _EXACT.get(message)
    if known is not None:
        return str(known)
    for pattern, render in _PATTERNS:
        match = pattern.match(message)
        if match:
            return render(match)
    return message


def apply_service_errors(form, fields: dict) -> list[str]:
    """Put a ValidationFailed's field errors on the form's fields; the rest are returned."""
    leftover: list[str] = []
    for name, messages in (fields or {}).items():
        texts = [translate_error(str(m)) for m in (messages if isinstance(messages, list) else [messages])]
        field = form._fields.get(name) if hasattr(form, "_fields") else None
        if field is None:
            leftover.extend(texts)
            continue
        field.errors = list(field.errors or []) + [t for t in texts if t not in (field.errors or [])]
    return leftover
