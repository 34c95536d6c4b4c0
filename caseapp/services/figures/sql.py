"""SQL pieces the figures share on SQLite and PostgreSQL: local days and durations."""
from __future__ import annotations

from datetime import date, datetime

from ...calendar.days import LOCAL_TZ
from ...extensions import db


def dialect() -> str:
    """The database the session talks to ('postgresql' or 'sqlite')."""
    return db.session.get_bind().dialect.name


def local_day(column):
    """The local calendar day of a UTC timestamp column, as SQL."""
    if dialect() == "postgresql":
        return db.cast(db.func.timezone(str(LOCAL_TZ), column), db.Date)
    offset = int(datetime.now(LOCAL_TZ).utcoffset().total_seconds() // 3600)  # +7, no DST
    return db.func.date(column, f"{offset:+d} hours")


def as_date(value) -> date:
    """A day as SQL returned it (a date on PostgreSQL, text on SQLite)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def seconds_between(start, end):
    """`end - start` in seconds (float), as SQL."""
    if dialect() == "postgresql":
        return db.cast(db.func.extract("epoch", end - start), db.Float)
    return (db.func.julianday(end) - db.func.julianday(start)) * 86400.0


def counted(condition):
    """SUM(CASE WHEN condition THEN 1 ELSE 0 END), never null."""
    return db.func.coalesce(db.func.sum(db.case((condition, 1), else_=0)), 0)
