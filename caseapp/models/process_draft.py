"""A designer's work in progress on a BPMN diagram: saved from the modeler, never run."""
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class ProcessDraft(db.Model):
    """One draft, owned by the designer who saved it; may hold problems (it is not deployed)."""

    __tablename__ = "process_draft"
    __table_args__ = (
        # a designer's own drafts, most recently saved first
        Index("ix_process_draft_owner_updated", "owner_id", "updated_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False)
    process_id: Mapped[str] = mapped_column(String(80), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    xml: Mapped[str] = mapped_column(Text, nullable=False)
    based_on_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("process_version.id"), nullable=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
