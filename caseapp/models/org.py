"""Organisation: agencies, categories and staff users."""
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .types import UTCDateTime

ROLES = ("operator", "supervisor", "officer", "leader", "monitor", "designer", "admin")
PORTAL_ROLES = ("operator", "supervisor")
AGENCY_ROLES = ("officer", "leader")


class Agency(db.Model):
    __tablename__ = "agency"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="department")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Category(db.Model):
    __tablename__ = "category"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str | None] = mapped_column(String(120))
    sort: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class District(db.Model):
    """A district-level unit of the province: where a report is, for figures and the board."""

    __tablename__ = "district"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str | None] = mapped_column(String(120))
    sort: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class User(db.Model):
    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    full_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(30))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)  # unused: see LoginFailure
    locked_until = mapped_column(UTCDateTime, nullable=True)  # unused: see LoginFailure
    # Part of every session's and token's id: bumping it ends them all (logout, new password,
    # disabled account).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    agency: Mapped[Agency | None] = relationship(lazy="joined")

    # Flask-Login protocol
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    def get_id(self) -> str:
        """Flask-Login's session id: a session from before the last bump no longer loads."""
        return f"{self.id}:{self.session_version or 0}"

    def end_sessions(self) -> None:
        """Sign the account out everywhere: web sessions and API tokens issued so far."""
        self.session_version = (self.session_version or 0) + 1

    def set_password(self, password: str) -> None:
        """Only a salted hash is ever stored; sessions opened with the old password end."""
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        """Compare against the stored hash in constant time."""
        return check_password_hash(self.password_hash, password)

    @property
    def is_portal(self) -> bool:
        return self.role in PORTAL_ROLES

    @property
    def is_agency_staff(self) -> bool:
        return self.role in AGENCY_ROLES and self.agency_id is not None


class LoginFailure(db.Model):
    """Failed sign-ins for one username from one source (client address), for the lockout.

    Rows go once a quarter of an hour has passed since their last failure.
    """
    __tablename__ = "login_failure"
    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    source: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at = mapped_column(UTCDateTime, nullable=False, index=True)
