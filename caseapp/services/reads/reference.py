"""Reference data for forms and pages: categories, districts and agencies, as plain dicts."""
from __future__ import annotations

from ...extensions import db
from ...models import Agency, Category, District


def categories(active_only: bool = True) -> list[dict]:
    """Report categories in display order: code, name (vi), name_en."""
    query = db.select(Category).order_by(Category.sort, Category.code)
    if active_only:
        query = query.where(Category.active.is_(True))
    return [{"code": c.code, "name": c.name, "name_en": c.name_en, "active": c.active}
            for c in db.session.scalars(query)]


def districts(active_only: bool = True) -> list[dict]:
    """The province's districts in display order, for the report form and filters."""
    query = db.select(District).order_by(District.sort, District.code)
    if active_only:
        query = query.where(District.active.is_(True))
    return [{"code": d.code, "name": d.name, "name_en": d.name_en, "active": d.active}
            for d in db.session.scalars(query)]


def agencies(active_only: bool = True) -> list[dict]:
    """Handling agencies: code, name (vi), name_en, kind."""
    query = db.select(Agency).order_by(Agency.kind, Agency.name)
    if active_only:
        query = query.where(Agency.active.is_(True))
    return [{"code": a.code, "name": a.name, "name_en": a.name_en, "kind": a.kind,
             "active": a.active} for a in db.session.scalars(query)]


def by_code(rows: list[dict]) -> dict[str, dict]:
    return {row["code"]: row for row in rows}
