"""Where a `next` parameter may send the visitor: only to a page of this site."""
import unicodedata
from urllib.parse import unquote, urlsplit


def _has_control_or_space(text: str) -> bool:
    return any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in text)


def local_url(target: str | None, default: str) -> str:
    """The target if it is a plain local path, else the default: no open redirect, even once a
    browser drops tabs and newlines or reads '\\' as '/' (and never a header a newline breaks)."""
    if not isinstance(target, str) or _has_control_or_space(target) or "\\" in target:
        return default
    parts = urlsplit(target)
    path = unquote(parts.path)  # the path as a lenient client might read it
    if parts.scheme or parts.netloc or not path.startswith("/") or path.startswith("//") \
            or "\\" in path or _has_control_or_space(path):
        return default
    return target
