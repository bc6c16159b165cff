"""The manager's day: how the rounds in progress stand today, in a handful of queries.

Every figure is one aggregate query, whatever the number of rounds, manifests or parcels,
so that the administrator's dashboard can ask for them again every half minute. "Today" is
the local day of the deployment's time zone; an attempt at the door counts on the day the
phone made it (its device time) when the scan carried one, else when it was recorded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from kitlog.models import (
    Household,
    Manifest,
    ManifestParcel,
    ManifestStatus,
    Parcel,
    ParcelEvent,
    ParcelFlag,
    ParcelStatus,
    Round,
    RoundStatus,
    Scan,
    ScanAction,
    ScanOutcome,
    Warehouse,
)
from kitlog.models.base import as_utc

# A parcel that has failed at the door this many times needs the manager's eye.
FLAG_AFTER_FAILED_ATTEMPTS = 3

# Statuses of a parcel that is no longer owed to its household.
_SETTLED = (ParcelStatus.DELIVERED.value, ParcelStatus.CANCELLED.value)


@dataclass(frozen=True)
class RoundDay:
    """An open round today: its parcels, those delivered (today and in all), those whose
    last attempt failed (follow-ups waiting) and those flagged for repeated failures."""

    id: int
    name: str
    warehouse: str
    parcels: int
    delivered: int
    delivered_today: int
    follow_ups: int
    flagged: int


@dataclass(frozen=True)
class ManifestDay:
    """A dispatched manifest (a trip on the road) and what has become of its parcels."""

    id: int
    number: str
    warehouse: str
    destination: str
    dispatched_at: datetime | None
    parcels: int
    in_transit: int
    delivered: int
    failed: int


@dataclass(frozen=True)
class FlaggedParcel:
    """A parcel of an open round still owed to its household after repeated failures."""

    id: int
    round_id: int
    round_name: str
    code: str
    household: str
    status: str
    failed_attempts: int


@dataclass(frozen=True)
class Day:
    today: date
    rounds: list[RoundDay]
    failures: dict[str, int]  # today's failed attempts in open rounds, by reason code
    manifests: list[ManifestDay]
    flagged: list[FlaggedParcel]
    # Parcels handed over offline whose household card did not match at sync, in any
    # round, until someone resolves them on the follow-ups page.
    card_mismatches: int = 0

    @property
    def delivered_today(self) -> int:
        return sum(r.delivered_today for r in self.rounds)

    @property
    def failed_today(self) -> int:
        return sum(self.failures.values())

    @property
    def in_transit(self) -> int:
        return sum(m.in_transit for m in self.manifests)

    @property
    def follow_ups(self) -> int:
        return sum(r.follow_ups for r in self.rounds)


def _local_day(day: date, tz: str) -> tuple[datetime, datetime]:
    """The first instant of a local day and of the next one, in UTC (SQLite keeps
    timestamps as UTC without their offset, so a bound must be a UTC instant too)."""
    start = datetime.combine(day, time.min, tzinfo=ZoneInfo(tz))
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=ZoneInfo(tz))
    return start.astimezone(UTC), end.astimezone(UTC)


def day_figures(session: Session, *, today: date, timezone: str) -> Day:
    """The figures of the administrator's dashboard for `today` in `timezone`."""
    start, end = _local_day(today, timezone)
    flagged = flagged_parcels(session)
    flagged_by_round = Counter(p.round_id for p in flagged)
    return Day(
        today=today,
        rounds=[
            RoundDay(
                id=id_,
                name=name,
                warehouse=warehouse,
                parcels=int(parcels),
                delivered=int(delivered),
                delivered_today=int(delivered_today),
                follow_ups=int(follow_ups),
                flagged=flagged_by_round[id_],
            )
            for id_, name, warehouse, parcels, delivered, delivered_today, follow_ups in (
                _open_rounds(session, start, end)
            )
        ],
        failures=failures_by_reason(session, start, end),
        manifests=manifests_on_the_road(session),
        flagged=flagged,
        card_mismatches=card_mismatches(session),
    )


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """How many rows of a group meet the condition (0, not NULL, for an empty group)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _open_rounds(
    session: Session, start: datetime, end: datetime
) -> Sequence[Row[int, str, str, int, int, int, int]]:
    """Each open round with its parcel counts: one query for every round."""
    delivered = Parcel.status == ParcelStatus.DELIVERED
    return session.execute(
        select(
            Round.id,
            Round.name,
            Warehouse.code,
            func.count(Parcel.id),
            _count(delivered),
            _count(and_(delivered, Parcel.delivered_at >= start, Parcel.delivered_at < end)),
            _count(Parcel.status == ParcelStatus.FAILED),
        )
        .join(Warehouse, Warehouse.id == Round.warehouse_id)
        .outerjoin(
            Parcel,
            and_(Parcel.round_id == Round.id, Parcel.status != ParcelStatus.CANCELLED),
        )
        .where(Round.status == RoundStatus.OPEN)
        .group_by(Round.id, Round.name, Warehouse.code)
        .order_by(Round.id)
    ).all()


def failures_by_reason(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """Failed attempts at the door between `start` and `end`, in open rounds, by reason.

    A scan is recorded once however often a phone resends it, so each counts once.
    """
    moment = func.coalesce(Scan.scanned_at, Scan.created_at)
    rows = session.execute(
        select(Scan.reason, func.count(Scan.id))
        .join(Parcel, Parcel.id == Scan.parcel_id)
        .join(Round, Round.id == Parcel.round_id)
        .where(
            Scan.action == ScanAction.FAIL,
            Scan.outcome == ScanOutcome.OK,
            Round.status == RoundStatus.OPEN,
            moment >= start,
            moment < end,
        )
        .group_by(Scan.reason)
    )
    return {str(reason or ""): int(count) for reason, count in rows}


def manifests_on_the_road(session: Session) -> list[ManifestDay]:
    """Every dispatched manifest, oldest dispatch first, with its parcels still in
    transit on it, delivered and failed: one query for every manifest."""
    on_it = Parcel.manifest_id == ManifestParcel.manifest_id
    rows = session.execute(
        select(
            Manifest.id,
            Manifest.number,
            Warehouse.code,
            Manifest.destination,
            Manifest.dispatched_at,
            func.count(ManifestParcel.parcel_id),
            _count(and_(on_it, Parcel.status == ParcelStatus.DISPATCHED)),
            _count(and_(on_it, Parcel.status == ParcelStatus.DELIVERED)),
            _count(and_(on_it, Parcel.status == ParcelStatus.FAILED)),
        )
        .join(Warehouse, Warehouse.id == Manifest.warehouse_id)
        .join(ManifestParcel, ManifestParcel.manifest_id == Manifest.id)
        .join(Parcel, Parcel.id == ManifestParcel.parcel_id)
        .where(Manifest.status == ManifestStatus.DISPATCHED)
        .group_by(
            Manifest.id,
            Manifest.number,
            Warehouse.code,
            Manifest.destination,
            Manifest.dispatched_at,
        )
        .order_by(Manifest.dispatched_at, Manifest.id)
    )
    return [
        ManifestDay(
            id=id_,
            number=number,
            warehouse=code,
            destination=destination,
            dispatched_at=as_utc(dispatched_at),
            parcels=int(parcels),
            in_transit=int(in_transit),
            delivered=int(delivered),
            failed=int(failed),
        )
        for (
            id_,
            number,
            code,
            destination,
            dispatched_at,
            parcels,
            in_transit,
            delivered,
            failed,
        ) in rows
    ]


def card_mismatches(session: Session) -> int:
    """Parcels flagged because the household's card did not match at sync, whatever
    their status or their round's (one count; the follow-ups page lists them)."""
    return int(
        session.scalar(select(func.count(Parcel.id)).where(Parcel.flag == ParcelFlag.CARD_MISMATCH))
        or 0
    )


def flagged_parcels(session: Session) -> list[FlaggedParcel]:
    """Parcels of open rounds, not delivered nor cancelled, that have failed at the door
    at least FLAG_AFTER_FAILED_ATTEMPTS times, the most failed first."""
    failed = (
        select(ParcelEvent.parcel_id, func.count(ParcelEvent.id).label("attempts"))
        .where(ParcelEvent.status == ParcelStatus.FAILED)
        .group_by(ParcelEvent.parcel_id)
        .having(func.count(ParcelEvent.id) >= FLAG_AFTER_FAILED_ATTEMPTS)
        .subquery()
    )
    rows = session.execute(
        select(
            Parcel.id,
            Round.id,
            Round.name,
            Parcel.short_code,
            Household.code,
            Parcel.status,
            failed.c.attempts,
        )
        .join(failed, failed.c.parcel_id == Parcel.id)
        .join(Round, Round.id == Parcel.round_id)
        .join(Household, Household.id == Parcel.household_id)
        .where(Round.status == RoundStatus.OPEN, Parcel.status.not_in(_SETTLED))
        .order_by(failed.c.attempts.desc(), Parcel.id)
    )
    return [
        FlaggedParcel(
            id=id_,
            round_id=round_id,
            round_name=round_name,
            code=code,
            household=household,
            status=status,
            failed_attempts=int(attempts),
        )
        for id_, round_id, round_name, code, household, status, attempts in rows
    ]
