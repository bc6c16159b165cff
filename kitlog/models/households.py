"""Migrant workers' households, and the spreadsheet imports that register them."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kitlog.models.base import Model, created_at_column, sql_in, utcnow
from kitlog.models.places import place_code_column
from kitlog.models.users import User

if TYPE_CHECKING:
    from kitlog.models.cards import Collector, HouseholdCard


class HouseholdStatus(enum.StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


HOUSEHOLD_STATUSES = tuple(s.value for s in HouseholdStatus)


class Relation(enum.StrEnum):
    """How the migrant worker is related to the head of household."""

    SELF = "self"
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    SIBLING = "sibling"
    OTHER = "other"


RELATIONS = tuple(r.value for r in Relation)

VULNERABILITIES = ("elderly", "disability", "pregnant", "under5")

# Limits of a household's values: the columns' lengths and CHECKs, and the services' and
# forms' messages, all read them from here.
MAX_NAME = 120
MAX_PLACE = 100
MAX_PROVINCE = 60
MAX_MEMBERS = 50
NIK_LENGTH = 16


class Household(Model):
    """A migrant worker's household. The NIK is unique: nobody is registered twice."""

    __tablename__ = "households"
    __table_args__ = (
        CheckConstraint(sql_in("status", HOUSEHOLD_STATUSES), name="status"),
        CheckConstraint(sql_in("worker_relation", RELATIONS), name="worker_relation"),
        CheckConstraint(f"members >= 1 AND members <= {MAX_MEMBERS}", name="members_range"),
        CheckConstraint(f"length(nik) = {NIK_LENGTH}", name="nik_length"),
        CheckConstraint("consent = false OR consent_date IS NOT NULL", name="consent_dated"),
        Index("ix_households_area", "province", "regency", "district", "village"),
        Index("ix_households_area_codes", "regency_code", "district_code"),
        Index("ix_households_name_key", "name_key"),
        Index("ix_households_phone", "phone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    head_name: Mapped[str] = mapped_column(String(MAX_NAME))
    # head_name lower-cased, without punctuation or repeated spaces: for the duplicate guard
    name_key: Mapped[str] = mapped_column(String(MAX_NAME))
    worker_name: Mapped[str] = mapped_column(String(MAX_NAME))
    worker_relation: Mapped[str] = mapped_column(String(16))
    nik: Mapped[str] = mapped_column(String(NIK_LENGTH), unique=True)
    phone: Mapped[str] = mapped_column(String(20), default="")
    province: Mapped[str] = mapped_column(String(MAX_PROVINCE))
    regency: Mapped[str] = mapped_column(String(MAX_PLACE))
    district: Mapped[str] = mapped_column(String(MAX_PLACE))
    village: Mapped[str] = mapped_column(String(MAX_PLACE))
    # The official codes of those places; NULL only for a household registered before
    # kitlog knew them whose names matched no place (`kitlog places check` lists them).
    province_code: Mapped[str | None] = place_code_column()
    regency_code: Mapped[str | None] = place_code_column()
    district_code: Mapped[str | None] = place_code_column()
    village_code: Mapped[str | None] = place_code_column(index=True)
    members: Mapped[int] = mapped_column(Integer)
    elderly: Mapped[bool] = mapped_column(Boolean, default=False)
    disability: Mapped[bool] = mapped_column(Boolean, default=False)
    pregnant: Mapped[bool] = mapped_column(Boolean, default=False)
    under5: Mapped[bool] = mapped_column(Boolean, default=False)
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=HouseholdStatus.ACTIVE)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("household_imports.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow, nullable=False
    )

    created_by: Mapped[User | None] = relationship()
    # The card the household holds now (None before one is issued), and the people it
    # named to collect for it who are still active, oldest first.
    card: Mapped[HouseholdCard | None] = relationship(
        "HouseholdCard",
        primaryjoin="and_(HouseholdCard.household_id == Household.id,"
        " HouseholdCard.replaced_at.is_(None))",
        uselist=False,
        viewonly=True,
    )
    collectors: Mapped[list[Collector]] = relationship(
        "Collector",
        primaryjoin="and_(Collector.household_id == Household.id, Collector.active)",
        order_by="Collector.id",
        viewonly=True,
    )

    @property
    def vulnerabilities(self) -> list[str]:
        return [name for name in VULNERABILITIES if getattr(self, name)]

    @property
    def vulnerable(self) -> bool:
        return bool(self.vulnerabilities)


class ImportStatus(enum.StrEnum):
    """validating → ready (or invalid / failed) → importing → done (or failed); or cancelled."""

    VALIDATING = "validating"
    READY = "ready"
    INVALID = "invalid"
    IMPORTING = "importing"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


IMPORT_STATUSES = tuple(s.value for s in ImportStatus)


class HouseholdImport(Model):
    """One uploaded spreadsheet: checked first, imported whole on confirmation, or not at all.

    The file is kept only until it is imported or cancelled; the progress is kept here,
    in the database, so any worker can show it.
    """

    __tablename__ = "household_imports"
    __table_args__ = (CheckConstraint(sql_in("status", IMPORT_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default=ImportStatus.VALIDATING)
    language: Mapped[str] = mapped_column(String(8), default="id")
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    processed_rows: Mapped[int] = mapped_column(Integer, default=0)
    good_rows: Mapped[int] = mapped_column(Integer, default=0)
    imported_rows: Mapped[int] = mapped_column(Integer, default=0)
    # JSON: [{"row": n, "field": "...", "message": "..."}] in the uploader's language
    errors: Mapped[str] = mapped_column(Text, default="[]")
    message: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow, nullable=False
    )

    user: Mapped[User | None] = relationship()
