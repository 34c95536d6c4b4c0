"""The services Open311 clients may report: the active categories."""
from __future__ import annotations

from ...extensions import db
from ...models import Category
from ..errors import NotFound
from .mapping import service, service_definition


def list_services() -> list[dict]:
    """Every active category as a service, in the order the report form shows them."""
    rows = db.session.scalars(db.select(Category).where(Category.active.is_(True))
                              .order_by(Category.sort, Category.code))
    return [service(row) for row in rows]


def get_service_definition(code: str) -> dict:
    """One active category's definition; an unknown or retired code is a 404."""
    row = db.session.scalars(db.select(Category).where(
        Category.code == code, Category.active.is_(True))).first()
    if row is None:
        raise NotFound(f"service_code {code} was not found")
    return service_definition(row)
