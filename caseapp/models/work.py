"""The indexes the task lists and the timers read: work items and deadlines."""
from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .case import Case
from .types import UTCDateTime, utcnow


class WorkItem(db.Model):
    """One READY user task; its id is the engine's task id."""

    __tablename__ = "work_item"
    __table_args__ = (
        Index("ix_work_queue", "state", "queue", "agency_id", "due_at"),
        # the task lists: a queue's open items in page order (due time, NULLS LAST, then age),
        # so the first page is read from the index however long the queue is (0011)
        Index("ix_work_open_queue_due", "queue", "due_at", "created_at", "id",
              postgresql_where=text("state = 'open'"), sqlite_where=text("state = 'open'")),
        Index("ix_work_open_agency_due", "agency_id", "queue", "due_at", "created_at", "id",
              postgresql_where=text("state = 'open'"), sqlite_where=text("state = 'open'")),
        # the task filter's choices: the different tasks open in a queue (one probe each)
        Index("ix_work_open_queue_task", "queue", "bpmn_id",
              postgresql_where=text("state = 'open'"), sqlite_where=text("state = 'open'")),
        Index("ix_work_open_agency_task", "agency_id", "queue", "bpmn_id",
              postgresql_where=text("state = 'open'"), sqlite_where=text("state = 'open'")),
        # the leaders' figures: time per phase, overdue now, duties due in a period
        Index("ix_work_item_completed", "state", "completed_at"),
        Index("ix_work_item_state_due", "state", "due_at"),
        Index("ix_work_item_due", "due_at"),
        Index("ix_work_item_agency_due", "agency_id", "due_at"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    bpmn_id: Mapped[str] = mapped_column(String(80))
    task_name: Mapped[str] = mapped_column(String(200), default="")
    form_key: Mapped[str | None] = mapped_column(String(80))
    lane: Mapped[str | None] = mapped_column(String(40))  # shown; who may act follows `queue`
    # portal / agency / agency_leader / supervisor (camunda:candidateGroups, else the lane)
    queue: Mapped[str | None] = mapped_column(String(40))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    state: Mapped[str] = mapped_column(String(20), default="open")  # open/completed/cancelled
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    due_at = mapped_column(UTCDateTime, nullable=True)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    claimed_at = mapped_column(UTCDateTime, nullable=True)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    completed_at = mapped_column(UTCDateTime, nullable=True)

    case: Mapped[Case] = relationship(lazy="joined")


class Deadline(db.Model):
    """One boundary timer of a case; the row, not Redis, is the truth."""

    __tablename__ = "deadline"
    __table_args__ = (
        UniqueConstraint("case_id", "timer_task_id"),
        Index("ix_deadline_due", "state", "due_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    timer_task_id: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(80))
    attached_to: Mapped[str] = mapped_column(String(80))
    attached_task_id: Mapped[str] = mapped_column(String(36), index=True)
    phase: Mapped[str] = mapped_column(String(40))
    interrupting: Mapped[bool] = mapped_column(Boolean, default=False)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    started_at = mapped_column(UTCDateTime, nullable=False)
    due_at = mapped_column(UTCDateTime, nullable=False)
    state: Mapped[str] = mapped_column(String(20), default="pending")  # pending/fired/cancelled
    fired_at = mapped_column(UTCDateTime, nullable=True)

    case: Mapped[Case] = relationship()
