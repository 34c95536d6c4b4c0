"""The dashboard's daily rollup: facts of past local days that no longer change, summed per day.

Written only by caseapp.services.figures.rollup (never by the commands that change cases), read
by the dashboard for the full past days of a period; today and anything that changed after the
rollup's watermark are read live. `grain` says which cuts a row is broken down by: 0 none (both
ids null), 1 by category, 2 by district, 3 by both — so a figure reads the few rows of exactly
the grain its filters and grouping need. A null district at grains 2 and 3 is "no district
given". No foreign keys: the rows are derived and rebuilt by day.
"""
from sqlalchemy import Date, Float, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime


class FiguresRollup(db.Model):
    """The single row saying how far the rollup goes: every fact before `watermark` (a local
    midnight, or a moment of today when the periodic job rolls today so far)."""

    __tablename__ = "figures_rollup"
    id: Mapped[int] = mapped_column(primary_key=True)
    watermark = mapped_column(UTCDateTime, nullable=True)
    updated_at = mapped_column(UTCDateTime, nullable=True)


class _Cut:
    """The columns every daily table shares."""

    id: Mapped[int] = mapped_column(primary_key=True)
    day = mapped_column(Date, nullable=False)
    grain: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    category_id: Mapped[int | None] = mapped_column(Integer)
    district_id: Mapped[int | None] = mapped_column(Integer)


class DailyCases(_Cut, db.Model):
    """Per local day and cut; `agency_id` null: every case, else the cases that agency held.
    received / closed / rejected / urgent: cases *created* that day (closed, rejected and urgent
    only once settled: closed before the watermark); closed_on: cases *closed* that day."""

    __tablename__ = "daily_cases"
    __table_args__ = (Index("ix_daily_cases_read", "grain", "agency_id", "day"),
                      Index("ix_daily_cases_day", "day"))
    agency_id: Mapped[int | None] = mapped_column(Integer)
    received: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    urgent: Mapped[int] = mapped_column(Integer, default=0)
    closed_on: Mapped[int] = mapped_column(Integer, default=0)


class DailyDuties(_Cut, db.Model):
    """Duties *due* that day whose task was finished (completed or withdrawn) before the
    watermark, per phase and owing agency: met on time, late."""

    __tablename__ = "daily_duties"
    __table_args__ = (Index("ix_daily_duties_read", "grain", "day"),
                      Index("ix_daily_duties_day", "day"))
    phase: Mapped[str] = mapped_column(String(80))
    agency_id: Mapped[int | None] = mapped_column(Integer)
    met: Mapped[int] = mapped_column(Integer, default=0)
    late: Mapped[int] = mapped_column(Integer, default=0)


class DailyAssignments(_Cut, db.Model):
    """Per agency: cases handed to it that day (assigned), and handed back that day (returned,
    of which late_returns)."""

    __tablename__ = "daily_assignments"
    __table_args__ = (Index("ix_daily_assignments_read", "grain", "day"),
                      Index("ix_daily_assignments_day", "day"))
    agency_id: Mapped[int] = mapped_column(Integer)
    assigned: Mapped[int] = mapped_column(Integer, default=0)
    returned: Mapped[int] = mapped_column(Integer, default=0)
    late_returns: Mapped[int] = mapped_column(Integer, default=0)


class DailyBounces(_Cut, db.Model):
    """Returns made that day, by the returning agency and the next one (null: not sent on before
    the watermark)."""

    __tablename__ = "daily_bounces"
    __table_args__ = (Index("ix_daily_bounces_read", "grain", "day"),
                      Index("ix_daily_bounces_day", "day"))
    from_agency_id: Mapped[int] = mapped_column(Integer)
    to_agency_id: Mapped[int | None] = mapped_column(Integer)
    returns: Mapped[int] = mapped_column(Integer, default=0)


class DailyDurations(_Cut, db.Model):
    """Tasks *completed* that day, per phase, agency and duration bucket (fixed log scale, see
    services.figures.histogram): how many, and the shortest and longest in seconds."""

    __tablename__ = "daily_durations"
    __table_args__ = (Index("ix_daily_durations_read", "grain", "day"),
                      Index("ix_daily_durations_day", "day"))
    phase: Mapped[str] = mapped_column(String(80))
    agency_id: Mapped[int | None] = mapped_column(Integer)
    bucket: Mapped[int] = mapped_column(SmallInteger)
    tasks: Mapped[int] = mapped_column(Integer, default=0)
    min_seconds: Mapped[float] = mapped_column(Float)
    max_seconds: Mapped[float] = mapped_column(Float)


DAILY_TABLES = (DailyCases, DailyDuties, DailyAssignments, DailyBounces, DailyDurations)
