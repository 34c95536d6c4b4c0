"""Emergency announcements: urgent information the portal shows to everyone for a while."""
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .org import User
from .types import UTCDateTime, utcnow


class Announcement(db.Model):
    """One announcement, shown from starts_at until ends_at unless withdrawn before."""

    __tablename__ = "announcement"
    __table_args__ = (
        # the active ones: not withdrawn, ends after now, starts before now
        Index("ix_announcement_window", "withdrawn_at", "ends_at", "starts_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    area: Mapped[str] = mapped_column(String(200))
    starts_at = mapped_column(UTCDateTime, nullable=False)
    ends_at = mapped_column(UTCDateTime, nullable=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    withdrawn_at = mapped_column(UTCDateTime, nullable=True)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    author: Mapped[User | None] = relationship(foreign_keys=[author_id], lazy="joined")
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id], lazy="joined")
