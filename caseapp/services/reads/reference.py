"""Reference data for forms and pages: categories and agencies, as plain dicts."""
from __future__ import annotations

from ...extensions import db
from ...models import Agency, Category


def categories(active_only: bool = True) -> list[dict]:
    """Report categories in display order: code, name (vi), name_en."""
    query = db.select(Category).order_by(Category.sort, Category.code)
    if active_only:
        query = query.where(Category.active.is_(True))
    return [{"code": c.code, "name": c.name, "name_en": c.name_en, "active": c.active}
            for c in db.session.scalars(query)]


def agencies(active_only: bool = True) -> list[dict]:
    """Handling agencies: code, name (vi), name_en, kind."""
    query = db.select(Agency).order_by(Agency.kind, Agency.name)
    if active_only:
        query = query.where(Agency.active.is_(True))
    return [{"code": a.code, "name": a.name, "name_en": a.name_en, "kind": a.kind,
             "active": a.active} for a in db.session.scalars(query)]


def by_code(rows: list[dict]) -> dict[str, dict]:
    return {row["code"]: row for row in rows}
