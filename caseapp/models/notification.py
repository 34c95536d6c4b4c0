"""The outbox: every message the system owes someone."""
from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..services.privacy.encryption import EncryptedText
from .types import UTCDateTime, utcnow


class Notification(db.Model):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_state", "state", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    recipient_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    # a reporter's e-mail is personal data: encrypted at rest like the case's copy
    recipient_address: Mapped[str | None] = mapped_column(EncryptedText)
    channel: Mapped[str] = mapped_column(String(20), default="email")
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    state: Mapped[str] = mapped_column(String(20), default="pending")  # pending/sent/failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at = mapped_column(UTCDateTime, nullable=True)
    read_at = mapped_column(UTCDateTime, nullable=True)
