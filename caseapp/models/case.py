"""The case aggregate: the report, its workflow state and what happened to it."""
from sqlalchemy import (JSON, Boolean, Float, ForeignKey, Index, Integer, LargeBinary,
                        String, Text, event, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..services.privacy.encryption import EncryptedText, phone_digest
from .org import Agency, Category, District
from .types import UTCDateTime, utcnow

STATUSES = ("open", "closed", "rejected")


class Case(db.Model):
    __tablename__ = "case_file"
    __table_args__ = (
        Index("ix_case_status_created", "status", "created_at"),
        Index("ix_case_agency_status", "current_agency_id", "status"),
        # the leaders' figures (services/figures): periods, cuts by category/district, open now
        Index("ix_case_created", "created_at"),
        Index("ix_case_category_created", "category_id", "created_at"),
        Index("ix_case_district_created", "district_id", "created_at"),
        # open now by phase and by agency: read from this small index alone
        Index("ix_case_open_phase_agency", "phase", "current_agency_id",
              postgresql_where=text("status = 'open'"), sqlite_where=text("status = 'open'")),
        Index("ix_case_closed", "closed_at"),
        Index("ix_case_urgent_status", "urgent", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(20), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(300))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # the reporter's identity, encrypted at rest (Fernet tokens; code reads plain text); phones
    # are found through the keyed digest (services.privacy.encryption.phone_lookup)
    reporter_name: Mapped[str] = mapped_column(EncryptedText)
    reporter_phone: Mapped[str] = mapped_column(EncryptedText)
    reporter_email: Mapped[str | None] = mapped_column(EncryptedText)
    reporter_phone_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    consent_share_identity: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="open")
    phase: Mapped[str | None] = mapped_column(String(40))
    current_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    public_response: Mapped[str | None] = mapped_column(Text)
    resolution: Mapped[str | None] = mapped_column(Text)
    reject_reason: Mapped[str | None] = mapped_column(String(40))
    # why the process could not start (the report is kept and started again after a fix)
    process_error: Mapped[str | None] = mapped_column(Text)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    workflow_state: Mapped[str] = mapped_column(Text, default="")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    closed_at = mapped_column(UTCDateTime, nullable=True)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    category: Mapped[Category] = relationship(lazy="joined")
    district: Mapped[District | None] = relationship(lazy="joined")
    current_agency: Mapped[Agency | None] = relationship(lazy="joined")
    assignments: Mapped[list["CaseAssignment"]] = relationship(
        back_populates="case", order_by="CaseAssignment.seq", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def title(self) -> str:
        text = " ".join(self.description.split())
        return text if len(text) <= 80 else text[:77] + "…"


@event.listens_for(Case.reporter_phone, "set")
def _index_reporter_phone(case, value, _old, _initiator):
    """Whoever sets the phone sets its digest, so the index never lags the encrypted column."""
    case.reporter_phone_digest = phone_digest(value)


class CaseAssignment(db.Model):
    """Each time the portal hands the case to an agency, in order."""

    __tablename__ = "case_assignment"
    __table_args__ = (Index("ix_assignment_agency_case", "agency_id", "case_id"),
                      Index("ix_assignment_agency_outcome", "agency_id", "outcome_at"),
                      # the leaders' figures: the next assignment (bounce map), periods
                      Index("ix_assignment_case_seq", "case_id", "seq"),
                      Index("ix_assignment_outcome_at", "outcome", "outcome_at"),
                      Index("ix_assignment_assigned", "assigned_at"),
                      Index("ix_assignment_agency_assigned", "agency_id", "assigned_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    assigned_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(20), default="handling")  # handling/returned/resolved
    outcome_at = mapped_column(UTCDateTime, nullable=True)
    return_reason: Mapped[str | None] = mapped_column(Text)
    late_return: Mapped[bool] = mapped_column(Boolean, default=False)

    case: Mapped[Case] = relationship(back_populates="assignments")
    agency: Mapped[Agency] = relationship(lazy="joined")


class CaseEvent(db.Model):
    """The append-only audit trail of a case."""

    __tablename__ = "case_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_label: Mapped[str] = mapped_column(String(120), default="")
    kind: Mapped[str] = mapped_column(String(40))
    phase_before: Mapped[str | None] = mapped_column(String(40))
    phase_after: Mapped[str | None] = mapped_column(String(40))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class Breach(db.Model):
    """A deadline that passed while its task was still open."""

    __tablename__ = "breach"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    deadline_id: Mapped[int | None] = mapped_column(ForeignKey("deadline.id"), unique=True)
    phase: Mapped[str] = mapped_column(String(40))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    due_at = mapped_column(UTCDateTime, nullable=False)
    fired_at = mapped_column(UTCDateTime, nullable=False)


class CasePhoto(db.Model):
    """A photo sent with the report, stripped of its metadata."""

    __tablename__ = "case_photo"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
