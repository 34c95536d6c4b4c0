"""The page number of a paged list, as every list page reads it."""
from flask import request

MAX_PAGE = 100_000  # beyond this a database offset would overflow; no list is that long


def page_number() -> int:
    """?page= within 1..MAX_PAGE; anything that is not a number is the first page."""
    try:
        page = int(request.args.get("page", 1))
    except (TypeError, ValueError):
        return 1
    return min(max(page, 1), MAX_PAGE)
