"""Users, their roles and their API tokens."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kitlog.models.base import Model, created_at_column, sql_in
from kitlog.models.reference import Donor


class Role(enum.StrEnum):
    ADMIN = "admin"
    WAREHOUSE = "warehouse"
    FIELD = "field"
    DONOR = "donor"


ROLES = tuple(r.value for r in Role)
LANGUAGES = ("id", "en")


class User(UserMixin, Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(sql_in("role", ROLES), name="role"),
        CheckConstraint(sql_in("language", LANGUAGES), name="language"),
        CheckConstraint("(role = 'donor') = (donor_id IS NOT NULL)", name="donor_role_has_donor"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    donor_id: Mapped[int | None] = mapped_column(ForeignKey("donors.id"), index=True)
    language: Mapped[str] = mapped_column(String(5), default="id")
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = created_at_column()
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    donor: Mapped[Donor | None] = relationship()
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    # The key of the login session this request runs in (not stored: only its hash is).
    # Declared to a type checker alone: SQLAlchemy would try to map an annotated attribute.
    if TYPE_CHECKING:
        session_key: str | None
    session_key = None

    def get_id(self) -> str:
        """Flask-Login's cookie value: the key of a server-side session, never the user id."""
        if not self.session_key:
            raise RuntimeError("log in through kitlog.services.users.start_session")
        return self.session_key

    @property
    def is_active(self) -> bool:  # Flask-Login: a deactivated user cannot log in
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


THROTTLE_SCOPES = ("pair", "account", "address")


class LoginThrottle(Model):
    """Failed logins within a window: one counter for an account from one address
    ("pair", key "email address"), one for the account ("account") and one for the
    address ("address").

    Kept in the database so every worker and server sees the same count; a login locks
    its three rows while it checks and counts, so concurrent attempts cannot overtake.
    """

    __tablename__ = "login_throttles"
    __table_args__ = (
        UniqueConstraint("scope", "key"),
        CheckConstraint(sql_in("scope", THROTTLE_SCOPES), name="scope"),
        CheckConstraint("failures >= 0", name="failures_not_negative"),
        Index("ix_login_throttles_window_started_at", "window_started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(320))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_failure_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UserSession(Model):
    """A login on one device. The cookie holds a random key; only its SHA-256 is kept.

    Logging out revokes the row, so a copy of the cookie stops working; a new password,
    a deactivation or the end of its life ends it too.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class ApiToken(Model):
    """A bearer token; only its SHA-256 is stored, the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = created_at_column()
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(back_populates="tokens")
