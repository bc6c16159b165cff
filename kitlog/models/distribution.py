"""Distribution rounds, the parcels they allocate, and where each parcel's kits come from."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kitlog.extensions import db
from kitlog.models.base import Model, created_at_column, sql_in
from kitlog.models.households import MAX_PLACE, Household
from kitlog.models.places import place_code_column
from kitlog.models.reference import Warehouse
from kitlog.models.scanning import RECIPIENT_KINDS, Manifest, Scan
from kitlog.models.stock import DonorBatch
from kitlog.models.users import User


class Verification(enum.StrEnum):
    """What a delivery of a round must carry besides the parcel's label."""

    NONE = "none"
    CARD = "card"  # the household's card too


VERIFICATIONS = tuple(v.value for v in Verification)


class RoundMode(enum.StrEnum):
    """Where a round's parcels are handed over."""

    DOOR = "door"  # officers take them to the households' doors
    SITE = "site"  # households collect them at distribution sites


ROUND_MODES = tuple(m.value for m in RoundMode)


class ParcelFlag(enum.StrEnum):
    """Why a parcel needs a person's attention besides its status."""

    CARD_MISMATCH = "card_mismatch"  # handed over offline; the card failed at sync


PARCEL_FLAGS = tuple(f.value for f in ParcelFlag)


class RoundStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


ROUND_STATUSES = tuple(s.value for s in RoundStatus)


class ProofKind(enum.StrEnum):
    """What a round asks the field officer to keep of each delivery."""

    NONE = "none"
    SIGNATURE = "signature"  # drawn on the phone by the person who received the parcel
    PHOTO = "photo"  # of the handover, from the phone's camera


PROOF_KINDS = tuple(k.value for k in ProofKind)
PROOF_CONTENT_TYPES = ("image/png", "image/jpeg")
MAX_PROOF_BYTES = 300 * 1024  # decoded: what the phone shrinks a signature or photo to

# Limits of a round's values: its columns and CHECKs, and the services' and forms' messages.
MAX_ROUND_NAME = 120
MAX_ENTITLEMENT = 100
MAX_MEMBERS_PER_KIT = 50


class ParcelStatus(enum.StrEnum):
    """allocated → packed → dispatched → delivered, or dispatched → failed → returned;
    cancelled before dispatch."""

    ALLOCATED = "allocated"
    PACKED = "packed"
    DISPATCHED = "dispatched"
    DELIVERED = "delivered"
    FAILED = "failed"
    RETURNED = "returned"
    CANCELLED = "cancelled"


PARCEL_STATUSES = tuple(s.value for s in ParcelStatus)
# Parcels whose kits are on a warehouse's shelf, held for them: they count as reserved.
RESERVING_STATUSES = (ParcelStatus.ALLOCATED, ParcelStatus.PACKED, ParcelStatus.RETURNED)
CLOSED_WITH_ROUND = "round closed"  # the event note closing a round writes
# The note of the event that takes a parcel off a manifest before it leaves, + its number.
UNLOADED = "unloaded:"


round_batches = Table(
    "round_batches",
    db.metadata,
    Column("round_id", ForeignKey("rounds.id"), primary_key=True),
    Column("batch_id", ForeignKey("donor_batches.id"), primary_key=True),
)


class Round(Model):
    """A planned distribution: which batches, from which warehouse, to whom, how many kits.

    Entitlement: `entitlement` kits per household; with `members_per_kit` set, one kit
    for every `members_per_kit` people (rounded up), at most `entitlement`.

    Eligible: active households that gave consent, inside the area (`province_code` and/or
    `regency_code`; none: everyone). With `vulnerable_first` set the round serves only
    households with at least one vulnerability; the admin clears the flag later to
    extend the round to everyone (allocating again gives nobody a second parcel).
    """

    __tablename__ = "rounds"
    __table_args__ = (
        CheckConstraint(sql_in("status", ROUND_STATUSES), name="status"),
        CheckConstraint(sql_in("proof", PROOF_KINDS), name="proof"),
        CheckConstraint(sql_in("verification", VERIFICATIONS), name="verification"),
        CheckConstraint(sql_in("mode", ROUND_MODES), name="mode"),
        CheckConstraint(
            f"entitlement >= 1 AND entitlement <= {MAX_ENTITLEMENT}", name="entitlement_range"
        ),
        CheckConstraint(
            "members_per_kit IS NULL OR"
            f" (members_per_kit >= 1 AND members_per_kit <= {MAX_MEMBERS_PER_KIT})",
            name="members_per_kit_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_ROUND_NAME))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    entitlement: Mapped[int] = mapped_column(Integer)
    members_per_kit: Mapped[int | None] = mapped_column(Integer)
    province: Mapped[str | None] = mapped_column(String(60))
    regency: Mapped[str | None] = mapped_column(String(MAX_PLACE))
    # The area's official codes: eligibility compares them, not the names.
    province_code: Mapped[str | None] = place_code_column()
    regency_code: Mapped[str | None] = place_code_column()
    vulnerable_first: Mapped[bool] = mapped_column(Boolean, default=False)
    show_head_name: Mapped[bool] = mapped_column(Boolean, default=False)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=RoundStatus.DRAFT)
    # The proof a delivery of this round must carry (ProofKind): none, signature or photo.
    proof: Mapped[str] = mapped_column(String(16), default=ProofKind.NONE)
    # What a delivery must carry besides the label (Verification), and where the parcels
    # are handed over (RoundMode): at the door, or at the round's distribution sites.
    verification: Mapped[str] = mapped_column(
        String(8), default=Verification.NONE, server_default=Verification.NONE.value
    )
    mode: Mapped[str] = mapped_column(
        String(8), default=RoundMode.DOOR, server_default=RoundMode.DOOR.value
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    warehouse: Mapped[Warehouse] = relationship()
    batches: Mapped[list[DonorBatch]] = relationship(
        secondary=round_batches, order_by=DonorBatch.id
    )
    created_by: Mapped[User | None] = relationship()

    def kits_for(self, members: int) -> int:
        """The kits one household of this many people is entitled to in this round."""
        if self.members_per_kit is None:
            return self.entitlement
        return min(self.entitlement, -(-members // self.members_per_kit))


class Parcel(Model):
    """What one household receives in one round; it carries the QR label.

    At most one parcel that is not cancelled per household and round: a partial unique
    index enforces it in the database.
    """

    __tablename__ = "parcels"
    __table_args__ = (
        CheckConstraint(sql_in("status", PARCEL_STATUSES), name="status"),
        CheckConstraint("kits >= 1", name="kits_positive"),
        Index(
            "uq_parcels_round_household_live",
            "round_id",
            "household_id",
            unique=True,
            sqlite_where=text("status <> 'cancelled'"),
            postgresql_where=text("status <> 'cancelled'"),
        ),
        Index("ix_parcels_round_status", "round_id", "status"),
        CheckConstraint("flag IS NULL OR " + sql_in("flag", PARCEL_FLAGS), name="flag"),
        CheckConstraint(
            "recipient_kind IS NULL OR " + sql_in("recipient_kind", RECIPIENT_KINDS),
            name="recipient_kind",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    kits: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=ParcelStatus.ALLOCATED)
    # 80 random bits, base32: the QR code's <BASE_URL>/p/<token>
    token: Mapped[str] = mapped_column(String(32), unique=True)
    # 8 symbols and a check symbol, for typing when a camera fails (ABC-DEF-GHJ)
    short_code: Mapped[str] = mapped_column(String(12), unique=True)
    # the manifest (truck trip) it is loaded onto; kept after the trip as its history
    manifest_id: Mapped[int | None] = mapped_column(ForeignKey("manifests.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
    # Facts recorded when the status changes (record_status), read by the donor report
    # instead of searching the events: when the kit was handed over (the delivering scan's
    # device time, else when the delivery was recorded; None unless delivered), and
    # whether the parcel ever failed.
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_once: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Who took it (RecipientKind: head, collector, other), from the delivering scan; None
    # unless delivered. The donor report counts the deliveries made to collectors from it.
    recipient_kind: Mapped[str | None] = mapped_column(String(12))
    # Set when a delivery the phone accepted offline was refused at sync because the
    # household's card did not match (ParcelFlag): the parcel left with someone whose card
    # the server could not confirm, and a person must follow it up. Cleared when resolved.
    flag: Mapped[str | None] = mapped_column(String(24))
    flagged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    round: Mapped[Round] = relationship()
    household: Mapped[Household] = relationship()
    manifest: Mapped[Manifest | None] = relationship()
    lines: Mapped[list[ParcelLine]] = relationship(
        back_populates="parcel", order_by="ParcelLine.batch_id"
    )
    events: Mapped[list[ParcelEvent]] = relationship(
        back_populates="parcel", order_by="ParcelEvent.id"
    )

    def record_status(self, status: str, now: datetime, scanned_at: datetime | None) -> None:
        """Keep delivered_at and failed_once in step with a move to `status` (recorded by
        an event created `now`, by a scan made on the device at `scanned_at`): the moment
        of the last delivery, and whether it ever failed."""
        self.delivered_at = (scanned_at or now) if status == ParcelStatus.DELIVERED else None
        if status == ParcelStatus.FAILED:
            self.failed_once = True


class ParcelLine(Model):
    """The kits of one batch in one parcel: where a parcel's reservation comes from."""

    __tablename__ = "parcel_lines"
    __table_args__ = (
        CheckConstraint("kits >= 1", name="kits_positive"),
        # a batch's lines (the primary key starts with the parcel), read from the index
        Index("ix_parcel_lines_batch", "batch_id", "parcel_id", "kits"),
    )

    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcels.id"), primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("donor_batches.id"), primary_key=True)
    kits: Mapped[int] = mapped_column(Integer)

    parcel: Mapped[Parcel] = relationship(back_populates="lines")
    batch: Mapped[DonorBatch] = relationship()


class ParcelEvent(Model):
    """One change of a parcel's status: who, when, and where when known. Never edited."""

    __tablename__ = "parcel_events"
    __table_args__ = (
        CheckConstraint(sql_in("status", PARCEL_STATUSES), name="status"),
        CheckConstraint(
            "from_status IS NULL OR " + sql_in("from_status", PARCEL_STATUSES),
            name="from_status",
        ),
        # a parcel's events of one status (has it failed? its last delivery?): one probe
        Index("ix_parcel_events_parcel_status", "parcel_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcels.id"))
    from_status: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # the scan that made the change (recipient, fail reason, device time live there)
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("scans.id"))
    created_at: Mapped[datetime] = created_at_column()

    parcel: Mapped[Parcel] = relationship(back_populates="events")
    user: Mapped[User | None] = relationship()
    scan: Mapped[Scan | None] = relationship()


class DeliveryProof(Model):
    """The signature or photo kept with a delivery: one per parcel, stored by the scan
    that delivered it (a replayed scan is that same scan, so it never stores a second).

    The image is checked to be a PNG or JPEG before it is stored (services.proofs); only
    administrators and field officers see it.
    """

    __tablename__ = "delivery_proofs"
    __table_args__ = (
        CheckConstraint(sql_in("kind", PROOF_KINDS[1:]), name="kind"),
        CheckConstraint(sql_in("content_type", PROOF_CONTENT_TYPES), name="content_type"),
        CheckConstraint(f"size >= 1 AND size <= {MAX_PROOF_BYTES}", name="size_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcels.id"), unique=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    content_type: Mapped[str] = mapped_column(String(32))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at_column()

    parcel: Mapped[Parcel] = relationship()
    scan: Mapped[Scan] = relationship()


class Counter(Model):
    """A named sequence (household codes; later manifest numbers), kept in the database
    so that every worker and server draws from the same one."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
