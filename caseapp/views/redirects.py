"""Where a `next` parameter may send the visitor: only to a page of this site."""


def local_url(target: str | None, default: str) -> str:
    """The target if it is a local path, else the default (no open redirects, also not '/\\host')."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    return target
