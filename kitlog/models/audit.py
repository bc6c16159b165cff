"""The audit log: who did what to which record, and when. Never edited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kitlog.models.base import Model, created_at_column
from kitlog.models.users import User


class AuditEvent(Model):
    """One audited act: a correction, a role change, an export of personal data, a look
    at a household's record.

    Append-only: triggers refuse UPDATE and DELETE. `detail` is JSON and holds codes and
    ids, never personal data itself (so anonymising households leaves the log intact).
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_created_at", "created_at"),
        Index("ix_audit_events_object", "object_type", "object_ref"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(48))  # e.g. household.view, user.role_change
    object_type: Mapped[str] = mapped_column(String(32), default="")
    object_ref: Mapped[str] = mapped_column(String(64), default="")  # a code or an id
    detail: Mapped[str] = mapped_column(Text, default="{}")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="")  # the actor's role then
    address: Mapped[str] = mapped_column(String(64), default="")  # the client's IP
    created_at: Mapped[datetime] = created_at_column()

    user: Mapped[User | None] = relationship()
