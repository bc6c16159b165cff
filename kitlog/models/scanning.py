"""Manifests (waybills), scans of parcels, and label printers."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kitlog.models.base import Model, created_at_column, sql_in
from kitlog.models.reference import Donor, Warehouse
from kitlog.models.users import LANGUAGES, User


class ManifestStatus(enum.StrEnum):
    """open (loading) → dispatched (on the road) → closed (reconciled); cancelled = void."""

    OPEN = "open"
    DISPATCHED = "dispatched"
    CLOSED = "closed"
    CANCELLED = "cancelled"


MANIFEST_STATUSES = tuple(s.value for s in ManifestStatus)


class Manifest(Model):
    """One truck or motorbike trip from a warehouse: the waybill its parcels travel on.

    Numbered per warehouse and year (`SBY-01/2026/0042`) from a database counter; a
    cancelled manifest keeps its number and shows as void.
    """

    __tablename__ = "manifests"
    __table_args__ = (CheckConstraint(sql_in("status", MANIFEST_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    destination: Mapped[str] = mapped_column(String(200), default="")
    vehicle: Mapped[str] = mapped_column(String(40), default="")
    driver_name: Mapped[str] = mapped_column(String(120), default="")
    driver_phone: Mapped[str] = mapped_column(String(20), default="")
    planned_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=ManifestStatus.OPEN)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
    dispatched_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    close_reason: Mapped[str] = mapped_column(Text, default="")
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    # The distribution site this manifest takes parcels to (a site round's day), or None
    # for a door-to-door trip.
    site_id: Mapped[int | None] = mapped_column(ForeignKey("distribution_sites.id"), index=True)
    # Copied at dispatch from the parcels and their kit types (rule 5 of docs/design.md): the
    # printed waybill keeps its figures when a kit type is corrected later.
    kits_total: Mapped[int | None] = mapped_column(Integer)
    weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    volume_m3: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))

    warehouse: Mapped[Warehouse] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    dispatched_by: Mapped[User | None] = relationship(foreign_keys=[dispatched_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    cancelled_by: Mapped[User | None] = relationship(foreign_keys=[cancelled_by_id])
    lines: Mapped[list[ManifestParcel]] = relationship(
        back_populates="manifest", order_by="ManifestParcel.parcel_id"
    )


class ManifestOutcome(enum.StrEnum):
    DELIVERED = "delivered"
    RETURNED = "returned"


MANIFEST_OUTCOMES = tuple(o.value for o in ManifestOutcome)


class ManifestParcel(Model):
    """A parcel that left on a manifest: written at dispatch and kept, whatever trips the
    parcel takes later; closing the manifest records what became of it."""

    __tablename__ = "manifest_parcels"
    __table_args__ = (
        CheckConstraint("kits >= 1", name="kits_positive"),
        CheckConstraint(
            "outcome IS NULL OR " + sql_in("outcome", MANIFEST_OUTCOMES), name="outcome"
        ),
    )

    manifest_id: Mapped[int] = mapped_column(ForeignKey("manifests.id"), primary_key=True)
    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcels.id"), primary_key=True, index=True)
    kits: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(16))  # set when the manifest closes

    manifest: Mapped[Manifest] = relationship(back_populates="lines")


class RecipientKind(enum.StrEnum):
    """Who took a delivered parcel: the head of household, one of its collectors, or
    someone else (named at the door)."""

    HEAD = "head"
    COLLECTOR = "collector"
    OTHER = "other"


RECIPIENT_KINDS = tuple(k.value for k in RecipientKind)


class ScanAction(enum.StrEnum):
    PACK = "pack"
    LOAD = "load"
    DELIVER = "deliver"
    FAIL = "fail"
    RETURN = "return"


SCAN_ACTIONS = tuple(a.value for a in ScanAction)


class ScanOutcome(enum.StrEnum):
    OK = "ok"
    REFUSED = "refused"  # 409: the parcel's state forbids it
    UNKNOWN = "unknown"  # 404: no parcel has the code


SCAN_OUTCOMES = tuple(o.value for o in ScanOutcome)


class FailReason(enum.StrEnum):
    NOBODY_HOME = "nobody_home"
    MOVED = "moved"
    REFUSED = "refused"
    WRONG_ADDRESS = "wrong_address"
    OTHER = "other"


FAIL_REASONS = tuple(r.value for r in FailReason)


class Scan(Model):
    """Every scan attempt, accepted or refused; never edited.

    `idempotency_key` is unique system-wide: the database, not Python, guarantees that
    a replayed scan (an offline queue resending, a double tap) is recorded once and
    answers with the first attempt's outcome.
    """

    __tablename__ = "scans"
    __table_args__ = (
        CheckConstraint(sql_in("action", SCAN_ACTIONS), name="action"),
        CheckConstraint(sql_in("outcome", SCAN_OUTCOMES), name="outcome"),
        CheckConstraint("reason IS NULL OR " + sql_in("reason", FAIL_REASONS), name="fail_reason"),
        CheckConstraint("outcome <> 'ok' OR parcel_id IS NOT NULL", name="ok_has_parcel"),
        CheckConstraint(
            "recipient_kind IS NULL OR " + sql_in("recipient_kind", RECIPIENT_KINDS),
            name="recipient_kind",
        ),
        Index("ix_scans_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    code: Mapped[str] = mapped_column(String(200))  # as scanned or typed
    action: Mapped[str] = mapped_column(String(16))
    parcel_id: Mapped[int | None] = mapped_column(ForeignKey("parcels.id"), index=True)
    manifest_id: Mapped[int | None] = mapped_column(ForeignKey("manifests.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    status_code: Mapped[int] = mapped_column(Integer)  # the HTTP status it answered
    detail: Mapped[str] = mapped_column(Text, default="")  # why it was refused
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(16))  # a failed delivery's reason
    recipient_name: Mapped[str] = mapped_column(String(120), default="")
    recipient_relation: Mapped[str] = mapped_column(String(40), default="")
    # A delivery's: who took it (RecipientKind), the collector when it was one, and the
    # household card the scan carried (a round that asks for cards).
    recipient_kind: Mapped[str | None] = mapped_column(String(12))
    collector_id: Mapped[int | None] = mapped_column(ForeignKey("collectors.id"))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("household_cards.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    scanned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # device
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()  # server

    manifest: Mapped[Manifest | None] = relationship()
    user: Mapped[User | None] = relationship()


class LabelPrinter(Model):
    """A printer's label layout and how far it shifts the print (mm, + = right/down)."""

    __tablename__ = "label_printers"
    __table_args__ = (
        CheckConstraint("offset_x_mm >= -20 AND offset_x_mm <= 20", name="offset_x_range"),
        CheckConstraint("offset_y_mm >= -20 AND offset_y_mm <= 20", name="offset_y_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    layout: Mapped[str] = mapped_column(String(32))
    offset_x_mm: Mapped[float] = mapped_column(Float, default=0.0)
    offset_y_mm: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = created_at_column()


class ShareLink(Model):
    """A read-only link to one donor's aggregated report, for someone without an account.

    Only a hash of the token is stored; the link expires and can be revoked. Its page
    opens in the language its creator chose, whatever the reader's browser asks for.
    """

    __tablename__ = "share_links"
    __table_args__ = (CheckConstraint(sql_in("language", LANGUAGES), name="language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donors.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    language: Mapped[str] = mapped_column(String(5), default="id", server_default="id")
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    uses: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()

    donor: Mapped[Donor] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])
