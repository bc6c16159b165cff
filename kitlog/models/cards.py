"""Household cards, the collectors a household names, and distribution sites.

A card is the second factor of a handover: where a round asks for it, a parcel is handed
over only when its label and its household's card agree. A household holds one card at a
time: a partial unique index allows one card not yet replaced per household, and a
replaced card keeps its row (and its token), so that it can be refused by name ("card
replaced on 3 Dec") rather than as unknown.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kitlog.models.base import Model, created_at_column
from kitlog.models.distribution import Round
from kitlog.models.households import MAX_NAME, NIK_LENGTH, Household
from kitlog.models.places import Place
from kitlog.models.users import User

MAX_COLLECTORS = 3  # active collectors per household
MAX_RELATION = 40
MAX_SITE_NAME = 120


class HouseholdCard(Model):
    """One printed card: its QR code carries `<BASE_URL>/h/<token>` (80 random bits), and
    a short code with a check symbol is printed for typing. `replaced_at` is set when the
    card is reissued; the replaced card is then refused everywhere."""

    __tablename__ = "household_cards"
    __table_args__ = (
        Index(
            "uq_household_cards_current",
            "household_id",
            unique=True,
            sqlite_where=text("replaced_at IS NULL"),
            postgresql_where=text("replaced_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    short_code: Mapped[str] = mapped_column(String(12), unique=True)
    issued_at: Mapped[datetime] = created_at_column()
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    replaced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    household: Mapped[Household] = relationship()
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])
    replaced_by: Mapped[User | None] = relationship(foreign_keys=[replaced_by_id])

    @property
    def replaced(self) -> bool:
        return self.replaced_at is not None


class Collector(Model):
    """A person a household names in advance to collect its parcels (at most
    MAX_COLLECTORS active). A collector is deactivated, never deleted: a delivery names
    the collector who took it."""

    __tablename__ = "collectors"
    __table_args__ = (
        CheckConstraint(f"nik IS NULL OR length(nik) = {NIK_LENGTH}", name="nik_length"),
        CheckConstraint("active OR deactivated_at IS NOT NULL", name="deactivated_dated"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    relation: Mapped[str] = mapped_column(String(MAX_RELATION))
    nik: Mapped[str | None] = mapped_column(String(NIK_LENGTH))
    phone: Mapped[str] = mapped_column(String(20), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = created_at_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deactivated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    household: Mapped[Household] = relationship()


class DistributionSite(Model):
    """A place and days where the households of a `site` round come to collect their
    parcels. Its parcels travel on manifests that name it (`Manifest.site_id`), so that
    a site's day is dispatched, delivered and closed (reconciled) like a trip."""

    __tablename__ = "distribution_sites"
    __table_args__ = (CheckConstraint("end_date >= start_date", name="dates_in_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    name: Mapped[str] = mapped_column(String(MAX_SITE_NAME))
    # the official place it serves: a district or a village (its households come there)
    place_code: Mapped[str] = mapped_column(String(13), ForeignKey("places.code"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = created_at_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    round: Mapped[Round] = relationship()
    place: Mapped[Place] = relationship()


__all__ = ["MAX_COLLECTORS", "Collector", "DistributionSite", "HouseholdCard"]
