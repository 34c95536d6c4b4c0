"""Reading the daily rollup for a period: which rows (grain, cuts, days) a figure sums, and
where its live part starts."""
from __future__ import annotations

from datetime import date, datetime

from ...extensions import db
from .filters import FigureFilters
from .rollup import Split


def grain_for(f: FigureFilters, *grouped: str) -> int:
    """The grain holding exactly the cuts the filters and the grouping need."""
    by_category = f.category_id is not None or "category" in grouped
    by_district = f.district_id is not None or "district" in grouped
    return (1 if by_category else 0) | (2 if by_district else 0)


def rolled_where(table, f: FigureFilters, split: Split, first: date, last: date,
                 *grouped: str, every_day: bool = False) -> list:
    """Conditions on a daily table: its rows for the rolled days among first..last (every_day:
    for all of them, the table holding future days too), at the grain the filters and grouping
    need, cut by category and district (not by agency: each table says what an agency filter
    means)."""
    if split.rolled_through is None or (first > split.rolled_through and not every_day):
        return [db.false()]
    where = [table.grain == grain_for(f, *grouped), table.day >= first,
             table.day <= (last if every_day else min(last, split.rolled_through))]
    if f.category_id is not None:
        where.append(table.category_id == f.category_id)
    if f.district_id is not None:
        where.append(table.district_id == f.district_id)
    return where


def live_start(start: datetime, split: Split) -> datetime:
    """Where the live part of a window starting at `start` begins: at the watermark or later."""
    watermark = split.watermark
    return start if watermark is None or watermark < start else watermark


def before_watermark(end: datetime, split: Split) -> datetime | None:
    """The end of the rolled part of a window ending at `end` (None: nothing rolled)."""
    watermark = split.watermark
    if watermark is None:
        return None
    return min(end, watermark)
