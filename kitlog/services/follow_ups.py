"""Follow-ups: parcels whose last attempt at the door failed and that are still owed to
their household (status `failed`: not delivered, cancelled, nor returned to stock yet);
and parcels flagged because the household's card did not match at sync, whatever their
status, until a person resolves them with a note.

The list reads every follow-up with its household and each failed attempt (its reason
and when the phone made it) in one query, whatever their number. A parcel that has
failed FLAG_AFTER_FAILED_ATTEMPTS times is flagged for the manager, by the same rule as
the administrator's dashboard.

Putting follow-ups on the next manifest is the warehouse's chain of actions made in one
go: each parcel is taken back into stock (ledger `return`, naming the trip it failed
on), packed again and loaded onto the open manifest, through the same table of parcel
actions as the scan station. It is all or nothing: the parcels are chosen together for
one trip, so when any of them may not go (no longer failed, a closed round, another
warehouse, a manifest that is not open), none goes and each refusal is named with its
parcel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from kitlog.models import (
    Household,
    Manifest,
    ManifestStatus,
    Parcel,
    ParcelEvent,
    ParcelFlag,
    ParcelStatus,
    Round,
    Scan,
    ScanAction,
    User,
    Warehouse,
)
from kitlog.models.base import as_utc, utcnow
from kitlog.services import audit, parcel_actions
from kitlog.services.day import FLAG_AFTER_FAILED_ATTEMPTS as FLAG_AFTER_FAILED_ATTEMPTS
from kitlog.services.errors import Conflict, FieldError, InvalidValues
from kitlog.services.locking import lock_row
from kitlog.services.manifests import MAX_PARCELS, load_parcels
from kitlog.services.parcel_codes import format_short_code
from kitlog.services.scans import (
    change_status,
    lock_manifest,
    lock_parcels,
    parcel_facts,
    return_to_stock,
)
from kitlog.text import squeeze

FLAG_RESOLVED = "parcel.flag_resolved"


@dataclass(frozen=True)
class Attempt:
    """One failed attempt at the door: when (the phone's time when it sent one) and why."""

    at: datetime
    reason: str | None


@dataclass
class FollowUp:
    """A parcel still owed after its last attempt failed, with its household and trip."""

    id: int
    code: str
    kits: int
    status: str
    round_id: int
    round_name: str
    warehouse_id: int
    warehouse: str
    timezone: str  # the warehouse's: its work is shown on its clock
    manifest: str | None
    household_code: str
    head_name: str
    phone: str
    village: str
    district: str
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return len(self.attempts) >= FLAG_AFTER_FAILED_ATTEMPTS

    @property
    def last_attempt(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None


def _query(round_id: int | None, warehouse_id: int | None) -> Select[*tuple[Any, ...]]:
    """Each follow-up with each of its failed attempts, one row an attempt."""
    moment = func.coalesce(Scan.scanned_at, ParcelEvent.created_at)
    query = (
        select(
            Parcel.id,
            Parcel.short_code,
            Parcel.kits,
            Parcel.status,
            Round.id,
            Round.name,
            Warehouse.id,
            Warehouse.code,
            Warehouse.timezone,
            Manifest.number,
            Household.code,
            Household.head_name,
            Household.phone,
            Household.village,
            Household.district,
            moment,
            Scan.reason,
        )
        .join(Round, Round.id == Parcel.round_id)
        .join(Warehouse, Warehouse.id == Round.warehouse_id)
        .join(Household, Household.id == Parcel.household_id)
        .outerjoin(Manifest, Manifest.id == Parcel.manifest_id)
        .join(
            ParcelEvent,
            (ParcelEvent.parcel_id == Parcel.id) & (ParcelEvent.status == ParcelStatus.FAILED),
        )
        .outerjoin(Scan, (Scan.id == ParcelEvent.scan_id) & (Scan.action == ScanAction.FAIL))
        .where(Parcel.status == ParcelStatus.FAILED)
        .order_by(
            Round.id,
            Household.district,
            Household.village,
            Household.code,
            Parcel.id,
            ParcelEvent.id,
        )
    )
    if round_id is not None:
        query = query.where(Parcel.round_id == round_id)
    if warehouse_id is not None:
        query = query.where(Round.warehouse_id == warehouse_id)
    return query


def follow_ups(
    session: Session, *, round_id: int | None = None, warehouse_id: int | None = None
) -> list[FollowUp]:
    """The follow-ups of a round and/or a warehouse (default: all), by round, district,
    village and household, each with its failed attempts, oldest first."""
    answer: dict[int, FollowUp] = {}
    for (
        id_,
        short_code,
        kits,
        status,
        round_id_,
        round_name,
        warehouse_id_,
        warehouse,
        timezone,
        manifest,
        household,
        head_name,
        phone,
        village,
        district,
        at,
        reason,
    ) in session.execute(_query(round_id, warehouse_id)):
        item = answer.get(id_)
        if item is None:
            item = answer[id_] = FollowUp(
                id=id_,
                code=format_short_code(short_code),
                kits=kits,
                status=status,
                round_id=round_id_,
                round_name=round_name,
                warehouse_id=warehouse_id_,
                warehouse=warehouse,
                timezone=timezone,
                manifest=manifest,
                household_code=household,
                head_name=head_name,
                phone=phone or "",
                village=village,
                district=district,
            )
        moment = as_utc(at)
        assert moment is not None  # noqa: S101 - an event always has its time
        item.attempts.append(Attempt(at=moment, reason=reason))
    return list(answer.values())


def open_manifests(session: Session, warehouse_ids: set[int] | None = None) -> list[Manifest]:
    """Open manifests (of these warehouses), newest first: where follow-ups can go."""
    query = select(Manifest).where(Manifest.status == ManifestStatus.OPEN)
    if warehouse_ids is not None:
        query = query.where(Manifest.warehouse_id.in_(warehouse_ids))
    return list(session.scalars(query.order_by(Manifest.id.desc())))


def _refusal(
    session: Session, parcel: Parcel, manifest: Manifest, now: datetime
) -> LazyString | None:
    """Why this parcel may not be returned, packed again and loaded onto the manifest."""
    facts = parcel_facts(session, parcel, manifest, now=now)
    if parcel.status != ParcelStatus.FAILED:
        reason = parcel_actions.refusal(ScanAction.RETURN, facts)
        return reason or _l("It is not a follow-up: its delivery has not failed.")
    # Packing it again and loading it, as the parcel will be once back in stock.
    pack = parcel_actions.BY_NAME[ScanAction.PACK]
    load = parcel_actions.BY_NAME[ScanAction.LOAD]
    guards = pack.guards_for(ParcelStatus.RETURNED, target=False) + load.guards_for(
        ParcelStatus.PACKED, target=True
    )
    for guard in guards:
        if not guard.holds(parcel, manifest):
            return guard.refusal(facts)
    return None


def put_on_manifest(
    session: Session,
    manifest: Manifest,
    parcels: list[Parcel],
    *,
    user: User | None,
    now: datetime | None = None,
) -> list[Parcel]:
    """Take these follow-ups back into stock, pack them again and load them onto the open
    manifest, all or nothing (Conflict with `refused`: each parcel that may not go, and
    why)."""
    parcels = list({p.id: p for p in parcels}.values())
    if not parcels:
        raise InvalidValues(
            [FieldError("parcels", _l("Choose the follow-ups to put on the manifest."))]
        )
    if len(parcels) > MAX_PARCELS:
        raise InvalidValues(
            [FieldError("parcels", _l("List at most %(n)s parcels at once.", n=MAX_PARCELS))]
        )
    now = now or utcnow()
    manifest = lock_manifest(session, manifest)
    lock_parcels(session, [p.id for p in parcels])
    refused = [
        (p, reason) for p in parcels if (reason := _refusal(session, p, manifest, now)) is not None
    ]
    if refused:
        first, reason = refused[0]
        raise Conflict(
            _l(
                "No follow-up was put on manifest %(number)s: %(count)s may not go."
                " %(code)s: %(reason)s",
                number=manifest.number,
                count=len(refused),
                code=format_short_code(first.short_code),
                reason=reason,
            ),
            field="parcels",
            refused=[
                {"code": format_short_code(p.short_code), "reason": str(r)} for p, r in refused
            ],
        )
    return_to_stock(session, parcels, user=user, now=now)
    for parcel in parcels:
        trip = parcel.manifest.number if parcel.manifest is not None else ""
        change_status(session, parcel, ParcelStatus.RETURNED, user=user, now=now, note=trip)
        change_status(session, parcel, ParcelStatus.PACKED, user=user, now=now)
    load_parcels(session, manifest, parcels, user=user, now=now)
    return parcels


# -- card mismatches -----------------------------------------------------------------------

MAX_RESOLUTION_NOTE = 200  # "a short note": what was checked, with whom


@dataclass
class CardMismatch:
    """A parcel a phone handed over offline whose household card the server refused at
    sync (ParcelFlag.CARD_MISMATCH): someone must find out who took it, whatever its
    status now."""

    id: int
    code: str
    kits: int
    status: str
    round_id: int
    round_name: str
    warehouse_id: int
    warehouse: str
    timezone: str
    household_code: str
    head_name: str
    phone: str
    village: str
    district: str
    flag: str
    flagged_at: datetime | None


def card_mismatches(
    session: Session, *, round_id: int | None = None, warehouse_id: int | None = None
) -> list[CardMismatch]:
    """The parcels flagged for a card mismatch (of a round and/or a warehouse), the
    longest waiting first: one query whatever their number."""
    query = (
        select(
            Parcel.id,
            Parcel.short_code,
            Parcel.kits,
            Parcel.status,
            Round.id,
            Round.name,
            Warehouse.id,
            Warehouse.code,
            Warehouse.timezone,
            Household.code,
            Household.head_name,
            Household.phone,
            Household.village,
            Household.district,
            Parcel.flag,
            Parcel.flagged_at,
        )
        .join(Round, Round.id == Parcel.round_id)
        .join(Warehouse, Warehouse.id == Round.warehouse_id)
        .join(Household, Household.id == Parcel.household_id)
        .where(Parcel.flag == ParcelFlag.CARD_MISMATCH)
        .order_by(Parcel.flagged_at, Parcel.id)
    )
    if round_id is not None:
        query = query.where(Parcel.round_id == round_id)
    if warehouse_id is not None:
        query = query.where(Round.warehouse_id == warehouse_id)
    return [
        CardMismatch(
            id=id_,
            code=format_short_code(short_code),
            kits=kits,
            status=status,
            round_id=round_id_,
            round_name=round_name,
            warehouse_id=warehouse_id_,
            warehouse=warehouse,
            timezone=timezone,
            household_code=household,
            head_name=head_name,
            phone=phone or "",
            village=village,
            district=district,
            flag=flag,
            flagged_at=as_utc(flagged_at),
        )
        for (
            id_,
            short_code,
            kits,
            status,
            round_id_,
            round_name,
            warehouse_id_,
            warehouse,
            timezone,
            household,
            head_name,
            phone,
            village,
            district,
            flag,
            flagged_at,
        ) in session.execute(query)
    ]


def resolve_flag(
    session: Session,
    parcel: Parcel,
    *,
    note: str | None,
    user: User | None,
    address: str | None = None,
) -> Parcel:
    """Clear a parcel's flag once a person has followed it up, saying how in a short
    note (required): audited as `parcel.flag_resolved`, with the flag and when it was
    raised. A parcel with no flag (resolved already, perhaps by a colleague) is a
    Conflict."""
    note = squeeze(note or "")
    if not note:
        raise InvalidValues([FieldError("note", _l("Say in a few words how it was resolved."))])
    if len(note) > MAX_RESOLUTION_NOTE:
        raise InvalidValues(
            [FieldError("note", _l("Keep this under %(n)s characters.", n=MAX_RESOLUTION_NOTE))]
        )
    parcel = lock_row(session, parcel)
    if parcel.flag is None:
        raise Conflict(
            _l(
                "Parcel %(code)s has nothing left to resolve.",
                code=format_short_code(parcel.short_code),
            )
        )
    audit.record(
        session,
        FLAG_RESOLVED,
        user=user,
        object_type="parcel",
        object_ref=parcel.short_code,
        detail={
            "flag": parcel.flag,
            "flagged_at": as_utc(parcel.flagged_at),
            "note": note,
        },
        address=address,
    )
    parcel.flag = None
    parcel.flagged_at = None  # updated_at stays: the report dates old deliveries by it
    session.flush()
    return parcel
