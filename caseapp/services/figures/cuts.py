"""The category, district and agency cuts every live figure applies to the cases it counts."""
from __future__ import annotations

from ...extensions import db
from ...models import Case, CaseAssignment
from .filters import FigureFilters


def case_conditions(f: FigureFilters, *, held: bool = True) -> list:
    """Category and district on the case; with `held`, the agency must have held the case."""
    where = []
    if f.category_id is not None:
        where.append(Case.category_id == f.category_id)
    if f.district_id is not None:
        where.append(Case.district_id == f.district_id)
    if held and f.agency_id is not None:
        where.append(db.select(CaseAssignment.id).where(
            CaseAssignment.case_id == Case.id, CaseAssignment.agency_id == f.agency_id).exists())
    return where


def cut_by_case(query, f: FigureFilters, case_id_column):
    """Join the case only when a category or district cut needs it (a join over every case in
    the period costs more than the figure itself)."""
    where = case_conditions(f, held=False)
    if not where:
        return query
    return query.join(Case, Case.id == case_id_column).where(*where)
