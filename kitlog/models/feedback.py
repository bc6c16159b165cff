"""Accountability to affected people: feedback and complaints, and post-distribution
monitoring (PDM).

Feedback is numbered per year (`FB-2026-0001`) from a database counter. Its category says
what it is about; staff conduct is always sensitive, and sensitive feedback is seen by
administrators only. Every change of its status is a `FeedbackEvent` (who, when, the
response given), so that the history of an answer is kept whole.

A PDM sample is a seeded random draw of a round's delivered parcels: the seed is kept, so
that the same draw can be made again and checked. A response answers for one parcel.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kitlog.models.base import Model, created_at_column, sql_in
from kitlog.models.distribution import Parcel, Round
from kitlog.models.households import Household
from kitlog.models.users import User

MAX_FEEDBACK_TEXT = 2000
MAX_RESPONSE = 2000
MAX_COMMENT = 1000
SATISFACTION_RANGE = (1, 5)


class FeedbackCategory(enum.StrEnum):
    NOT_RECEIVED = "not_received"
    DAMAGED = "damaged"
    MISSING_ITEMS = "missing_items"
    WRONG_PERSON = "wrong_person"
    STAFF_CONDUCT = "staff_conduct"  # always sensitive
    QUESTION = "question"
    OTHER = "other"


FEEDBACK_CATEGORIES = tuple(c.value for c in FeedbackCategory)


class FeedbackChannel(enum.StrEnum):
    OFFICER = "officer"  # a field officer records it, at the door or after
    PHONE = "phone"  # a call to the hotline, recorded by staff
    PUBLIC = "public"  # the household's own page, /f/<card token>, with no login


FEEDBACK_CHANNELS = tuple(c.value for c in FeedbackChannel)


class FeedbackStatus(enum.StrEnum):
    OPEN = "open"
    REFERRED = "referred"  # passed to whoever can act on it (the warehouse, BP2MI, IOM)
    RESOLVED = "resolved"  # answered and acted on
    CLOSED = "closed"  # nothing more to do


FEEDBACK_STATUSES = tuple(s.value for s in FeedbackStatus)


class Feedback(Model):
    """One piece of feedback or one complaint, and where its answer stands."""

    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint(sql_in("category", FEEDBACK_CATEGORIES), name="category"),
        CheckConstraint(sql_in("channel", FEEDBACK_CHANNELS), name="channel"),
        CheckConstraint(sql_in("status", FEEDBACK_STATUSES), name="status"),
        CheckConstraint("category <> 'staff_conduct' OR sensitive", name="staff_conduct_sensitive"),
        CheckConstraint(
            "channel = 'public' OR created_by_id IS NOT NULL", name="staff_feedback_has_author"
        ),
        CheckConstraint(
            "resolved_at IS NULL OR status IN ('resolved', 'closed')", name="resolved_dated"
        ),
        Index("ix_feedback_status_created", "status", "created_at"),
        Index("ix_feedback_source_created", "source_key", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)  # FB-2026-0001
    # a phone's key, so that the outbox sending it again records it once
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    category: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(8))
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    parcel_id: Mapped[int | None] = mapped_column(ForeignKey("parcels.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=FeedbackStatus.OPEN)
    response: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = created_at_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = created_at_column()
    # when it was first resolved (or closed without being resolved): the donor report's
    # days to resolve; cleared if it is opened again
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # public feedback: a keyed hash of the sender's address, for the rate limit (never
    # the address itself)
    source_key: Mapped[str | None] = mapped_column(String(64))

    household: Mapped[Household | None] = relationship()
    parcel: Mapped[Parcel | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    events: Mapped[list[FeedbackEvent]] = relationship(
        back_populates="feedback", order_by="FeedbackEvent.id"
    )


class FeedbackEvent(Model):
    """One step of a feedback's answer: its status changed (or not), with the response
    given, by whom and when. Never edited."""

    __tablename__ = "feedback_events"
    __table_args__ = (
        CheckConstraint(sql_in("status", FEEDBACK_STATUSES), name="status"),
        CheckConstraint(
            "from_status IS NULL OR " + sql_in("from_status", FEEDBACK_STATUSES),
            name="from_status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10))
    response: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()

    feedback: Mapped[Feedback] = relationship(back_populates="events")
    user: Mapped[User | None] = relationship()


class PdmSample(Model):
    """A random draw of a round's delivered parcels for post-distribution monitoring."""

    __tablename__ = "pdm_samples"
    __table_args__ = (CheckConstraint("size >= 1", name="size_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    seed: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    # how many delivered parcels it was drawn from (the population)
    population: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    round: Mapped[Round] = relationship()
    parcels: Mapped[list[PdmSampleParcel]] = relationship(
        back_populates="sample", order_by="PdmSampleParcel.position"
    )


class PdmSampleParcel(Model):
    """One parcel drawn, in the order of the draw."""

    __tablename__ = "pdm_sample_parcels"
    __table_args__ = (UniqueConstraint("sample_id", "parcel_id"),)

    sample_id: Mapped[int] = mapped_column(ForeignKey("pdm_samples.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcels.id"), index=True)

    sample: Mapped[PdmSample] = relationship(back_populates="parcels")
    parcel: Mapped[Parcel] = relationship()


class PdmResponse(Model):
    """A household's answers about one delivered parcel: one per parcel."""

    __tablename__ = "pdm_responses"
    __table_args__ = (
        CheckConstraint(
            f"satisfaction >= {SATISFACTION_RANGE[0]} AND satisfaction <= {SATISFACTION_RANGE[1]}",
            name="satisfaction_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcels.id"), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    received_complete: Mapped[bool] = mapped_column(Boolean)
    # the kit items reported missing: a JSON list of the kit type's item positions
    items_missing: Mapped[str] = mapped_column(Text, default="[]")
    satisfaction: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = created_at_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    parcel: Mapped[Parcel] = relationship()
    created_by: Mapped[User | None] = relationship()


__all__ = [
    "FEEDBACK_CATEGORIES",
    "FEEDBACK_CHANNELS",
    "FEEDBACK_STATUSES",
    "Feedback",
    "FeedbackCategory",
    "FeedbackChannel",
    "FeedbackEvent",
    "FeedbackStatus",
    "PdmResponse",
    "PdmSample",
    "PdmSampleParcel",
]
