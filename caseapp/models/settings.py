"""What admins tune without code: SLA policies and declared calendar days."""
from datetime import date

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class SlaPolicy(db.Model):
    __tablename__ = "sla_policy"
    phase: Mapped[str] = mapped_column(String(40), primary_key=True)
    working_duration: Mapped[str] = mapped_column(String(40))
    dayoff_duration: Mapped[str] = mapped_column(String(40))
    # what people read for the phase (case pages, breaches, notifications); empty = built-in label
    label: Mapped[str | None] = mapped_column(String(200))
    label_en: Mapped[str | None] = mapped_column(String(200))
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class CalendarDay(db.Model):
    __tablename__ = "calendar_day"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # day_off / working
    note: Mapped[str | None] = mapped_column(String(200))
