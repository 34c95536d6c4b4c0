"""Moves of running cases to another process version: a run (bulk move) and each case's move."""
from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow

RUN_STATES = ("queued", "running", "done")


class ProcessMove(db.Model):
    """One bulk move to a version: who started it and its counts, read by the progress display."""

    __tablename__ = "process_move"
    id: Mapped[int] = mapped_column(primary_key=True)
    from_version_id: Mapped[int | None] = mapped_column(ForeignKey("process_version.id"))  # None: any
    to_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), nullable=False)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    started_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    finished_at = mapped_column(UTCDateTime, nullable=True)
    total: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    moved: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    blocked: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    failed: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    state: Mapped[str] = mapped_column(String(20), default="queued", nullable=False)


class CaseMove(db.Model):
    """A case moved to another version, with the state it had before, so the move can be undone."""

    __tablename__ = "case_move"
    __table_args__ = (Index("ix_case_move_case_moved", "case_id", "moved_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"),
                                         nullable=False)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("process_move.id"), index=True)
    from_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), nullable=False)
    to_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), nullable=False)
    previous_state: Mapped[str] = mapped_column(Text, nullable=False)
    # SHA-256 of the state the move left: a revert is refused once the case went on from it
    moved_state_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    moved_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reverted_at = mapped_column(UTCDateTime, nullable=True)
    reverted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
