"""Personal data bookkeeping: who was shown a reporter's identity, and how long identities stay."""
from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class IdentityDisclosure(db.Model):
    """One showing of a reporter's name, phone and e-mail to a member of staff."""

    __tablename__ = "identity_disclosure"
    __table_args__ = (Index("ix_identity_disclosure_case_at", "case_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    actor_label: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(20), default="")
    channel: Mapped[str] = mapped_column(String(20), default="web")  # web / api / export / …
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)


class PersonalDataSetting(db.Model):
    """The retention period (one row): days after closing before a case loses its identity."""

    __tablename__ = "personal_data_setting"
    id: Mapped[int] = mapped_column(primary_key=True)
    retention_days: Mapped[int | None] = mapped_column(Integer)  # None: kept until erased
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_by: Mapped[str] = mapped_column(String(120), default="")
