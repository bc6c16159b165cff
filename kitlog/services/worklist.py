"""A trip's work-list: the households a manifest takes parcels to, in the order an
officer visits them (district, village, household), with each parcel's door attempts,
and the official places they live in.

Four queries whatever the trip's size: the parcels with their households and rounds, the
attempts, the households' current cards and their active collectors. An attempt is an
accepted door scan (delivered or failed), taken from the parcel's events, so a parcel that
failed on an earlier trip shows that attempt too. The places come from the list kitlog
ships (`services.places`), not from the database.

A trip saved on the phone checks a household's card with no signal: each item carries the
household's current card (the page sends on only its hashes, never its codes) and the
collectors it named, who may take the parcel in the head's place.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, contains_eager, joinedload

from kitlog.models import (
    Collector,
    Household,
    HouseholdCard,
    Manifest,
    ManifestParcel,
    Parcel,
    ParcelEvent,
    ParcelStatus,
    Scan,
)
from kitlog.services import places as place_list
from kitlog.services.places import Place

ATTEMPT_STATUSES = (ParcelStatus.DELIVERED, ParcelStatus.FAILED)


@dataclass(frozen=True)
class Attempt:
    """One visit at the door: when, what came of it, and why not when it failed."""

    at: datetime
    outcome: str
    reason: str | None


@dataclass(frozen=True)
class WorkItem:
    """One parcel of the trip, its household and the attempts made to hand it over."""

    parcel: Parcel
    household: Household
    attempts: list[Attempt] = field(default_factory=list)
    card: HouseholdCard | None = None  # the household's current card, if it has one
    collectors: list[Collector] = field(default_factory=list)  # active, oldest first


@dataclass(frozen=True)
class WorkList:
    manifest: Manifest
    items: list[WorkItem]

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def done(self) -> int:
        """The parcels handed over."""
        return sum(1 for item in self.items if item.parcel.status == ParcelStatus.DELIVERED)

    @property
    def places(self) -> list[Place]:
        """The villages and districts of the trip's households, and the regencies and
        provinces above them: each once, the larger first, in the order of their codes.
        A household kitlog could not match to official places adds none."""
        gazetteer = place_list.gazetteer()
        codes = {
            code
            for item in self.items
            for code in (
                item.household.province_code,
                item.household.regency_code,
                item.household.district_code,
                item.household.village_code,
            )
            if code
        }
        found = [gazetteer.by_code[code] for code in codes if code in gazetteer.by_code]
        return sorted(found, key=lambda p: (place_list.LEVELS.index(p.level), p.code))


def _attempts(session: Session, parcel_ids: list[int]) -> dict[int, list[Attempt]]:
    if not parcel_ids:
        return {}
    rows = session.execute(
        select(ParcelEvent.parcel_id, ParcelEvent.created_at, ParcelEvent.status, Scan.reason)
        .outerjoin(Scan, Scan.id == ParcelEvent.scan_id)
        .where(
            ParcelEvent.parcel_id.in_(parcel_ids),
            ParcelEvent.status.in_(ATTEMPT_STATUSES),
        )
        .order_by(ParcelEvent.parcel_id, ParcelEvent.id)
    ).all()
    attempts: dict[int, list[Attempt]] = defaultdict(list)
    for parcel_id, at, status, reason in rows:
        attempts[parcel_id].append(
            Attempt(at=at, outcome=status, reason=reason if status == ParcelStatus.FAILED else None)
        )
    return attempts


def _cards(session: Session, household_ids: set[int]) -> dict[int, HouseholdCard]:
    if not household_ids:
        return {}
    rows = session.scalars(
        select(HouseholdCard).where(
            HouseholdCard.household_id.in_(household_ids), HouseholdCard.replaced_at.is_(None)
        )
    )
    return {card.household_id: card for card in rows}


def _collectors(session: Session, household_ids: set[int]) -> dict[int, list[Collector]]:
    if not household_ids:
        return {}
    named: dict[int, list[Collector]] = defaultdict(list)
    for collector in session.scalars(
        select(Collector)
        .where(Collector.household_id.in_(household_ids), Collector.active.is_(True))
        .order_by(Collector.id)
    ):
        named[collector.household_id].append(collector)
    return named


def worklist(session: Session, manifest: Manifest) -> WorkList:
    """The trip's parcels by district, village and household code, with their attempts.

    The parcels are those loaded on the manifest and, once it has left, those that left
    on it (a parcel returned to stock when it closed no longer points at it)."""
    left = select(ManifestParcel.parcel_id).where(ManifestParcel.manifest_id == manifest.id)
    parcels = list(
        session.scalars(
            select(Parcel)
            .join(Household, Household.id == Parcel.household_id)
            .where(or_(Parcel.manifest_id == manifest.id, Parcel.id.in_(left)))
            .options(contains_eager(Parcel.household), joinedload(Parcel.round))
            .order_by(Household.district, Household.village, Household.code, Parcel.id)
        )
    )
    attempts = _attempts(session, [parcel.id for parcel in parcels])
    household_ids = {parcel.household_id for parcel in parcels}
    held = _cards(session, household_ids)
    named = _collectors(session, household_ids)
    return WorkList(
        manifest=manifest,
        items=[
            WorkItem(
                parcel=parcel,
                household=parcel.household,
                attempts=attempts.get(parcel.id, []),
                card=held.get(parcel.household_id),
                collectors=named.get(parcel.household_id, []),
            )
            for parcel in parcels
        ],
    )
