"""Manifests (waybills): one truck or motorbike trip from a warehouse, its parcels, its
dispatch.

A manifest is numbered per warehouse and year (`SBY-01/2026/0001`) from a database
counter. Parcels are loaded onto it while it is open (listed at creation, or scanned
with the `load` action); dispatching it issues their kits from the warehouse's stock
(ledger `dispatch`, one movement per batch, naming the manifest) and puts every parcel
on the road, all in one transaction.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from kitlog.models import (
    Household,
    Manifest,
    ManifestStatus,
    MovementKind,
    Parcel,
    ParcelStatus,
    StockMovement,
    User,
    Warehouse,
)
from kitlog.models.base import utcnow
from kitlog.services import sequences
from kitlog.services.distribution import find_parcel
from kitlog.services.errors import Conflict, FieldError, InvalidValues, NotFound
from kitlog.services.households import _Bad as BadValue
from kitlog.services.households import clean_person_name, clean_phone
from kitlog.services.locking import lock_batches
from kitlog.services.parcel_codes import format_short_code
from kitlog.services.scans import (
    MANIFEST_STATUS_NAMES,
    change_status,
    load_refusal,
    lock_manifest,
    lock_parcels,
)
from kitlog.services.stock import stock_levels

MAX_DESTINATION = 200
MAX_VEHICLE = 40
MAX_NOTE = 1000
MAX_PARCELS = 2000  # parcels one manifest may list when it is created
MAX_NAMED = 10  # bad parcels a refusal names before it says "and N more"


def _storable(value: str) -> bool:
    return not any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value) and "\x7f" not in value


def _one_line(errors: list[FieldError], field: str, value, limit: int, message) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        errors.append(FieldError(field, message))
    elif len(text) > limit:
        errors.append(FieldError(field, _l("Keep this under %(n)s characters.", n=limit)))
    elif not _storable(text):
        errors.append(FieldError(field, _l("Contains characters that are not allowed.")))
    return text


def _codes(parcels: list[Parcel]) -> str:
    codes = [format_short_code(p.short_code) for p in parcels[:MAX_NAMED]]
    more = len(parcels) - len(codes)
    text = ", ".join(codes)
    return str(_l("%(codes)s and %(n)s more", codes=text, n=more)) if more else text


def manifest_year(now: datetime) -> int:
    """The year a manifest is numbered in: the deployment's local year."""
    return to_user_timezone(now).year


def create_manifest(
    session: Session,
    *,
    warehouse: Warehouse | None,
    destination: str,
    vehicle: str,
    driver_name: str,
    driver_phone: str = "",
    planned_date: date | None = None,
    parcels: list[str] | None = None,
    note: str = "",
    user: User | None,
    now: datetime | None = None,
) -> Manifest:
    """Open a numbered manifest and load the parcels listed (all packed, all of its
    warehouse, none on another open manifest: all or nothing)."""
    errors: list[FieldError] = []
    if warehouse is None:
        errors.append(FieldError("warehouse", _l("Choose the warehouse the trip leaves from.")))
    destination = _one_line(
        errors, "destination", destination, MAX_DESTINATION, _l("Say where the trip goes.")
    )
    vehicle = _one_line(
        errors, "vehicle", vehicle, MAX_VEHICLE, _l("Give the vehicle's number plate.")
    )
    try:
        driver_name = clean_person_name(driver_name)
    except BadValue as bad:
        errors.append(FieldError("driver_name", bad.message))
    try:
        driver_phone = clean_phone(driver_phone)
    except BadValue as bad:
        errors.append(FieldError("driver_phone", bad.message))
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        errors.append(FieldError("note", _l("Keep this under %(n)s characters.", n=MAX_NOTE)))
    elif not _storable(note):
        errors.append(FieldError("note", _l("Contains characters that are not allowed.")))
    codes = list(dict.fromkeys(parcels or []))
    if len(codes) > MAX_PARCELS:
        errors.append(
            FieldError("parcels", _l("List at most %(n)s parcels at once.", n=MAX_PARCELS))
        )
        codes = []
    found: list[Parcel] = []
    for code in codes:
        try:
            found.append(find_parcel(session, code))
        except NotFound as error:
            errors.append(FieldError("parcels", error.message))
    if errors:
        raise InvalidValues(errors)
    assert warehouse is not None  # noqa: S101 - checked above
    now = now or utcnow()
    year = manifest_year(now)
    (number,) = sequences.next_numbers(session, f"manifest:{warehouse.code}:{year}")
    manifest = Manifest(
        number=f"{warehouse.code}/{year}/{number:04d}",
        warehouse=warehouse,
        destination=destination,
        vehicle=vehicle,
        driver_name=driver_name,
        driver_phone=driver_phone,
        planned_date=planned_date,
        status=ManifestStatus.OPEN,
        note=note,
        created_by=user,
        created_at=now,
    )
    session.add(manifest)
    session.flush()
    if found:
        load_parcels(session, manifest, found, user=user, now=now)
    return manifest


def load_parcels(
    session: Session,
    manifest: Manifest,
    parcels: list[Parcel],
    *,
    user: User | None,
    now: datetime | None = None,
) -> Manifest:
    """Load parcels onto an open manifest: all or nothing (Conflict naming the parcels
    that may not go: not packed, of another warehouse, on another open manifest)."""
    now = now or utcnow()
    manifest = lock_manifest(session, manifest)
    lock_parcels(session, [p.id for p in parcels])
    refused = [
        (p, reason)
        for p in parcels
        if (reason := load_refusal(session, p, manifest, now=now)) is not None
    ]
    if refused:
        if len(refused) == 1:
            parcel, reason = refused[0]
            message = _l(
                "%(code)s: %(reason)s", code=format_short_code(parcel.short_code), reason=reason
            )
        else:
            message = _l(
                "These parcels cannot be loaded, so none was: %(codes)s. %(code)s: %(reason)s",
                codes=_codes([p for p, _r in refused]),
                code=format_short_code(refused[0][0].short_code),
                reason=refused[0][1],
            )
        raise Conflict(message, field="parcels")
    for parcel in parcels:
        parcel.manifest_id = manifest.id
        parcel.manifest = manifest
        change_status(
            session, parcel, ParcelStatus.PACKED, user=user, now=now, note=manifest.number
        )
    session.flush()
    return manifest


def dispatch_manifest(
    session: Session, manifest: Manifest, *, user: User | None, now: datetime | None = None
) -> Manifest:
    """Put an open manifest's parcels on the road: the kits leave the warehouse's stock
    (ledger `dispatch` per batch, naming the manifest) and every parcel is dispatched."""
    now = now or utcnow()
    manifest = lock_manifest(session, manifest)
    if manifest.status != ManifestStatus.OPEN:
        raise Conflict(
            _l(
                "Manifest %(number)s is %(status)s: only an open manifest can be dispatched.",
                number=manifest.number,
                status=MANIFEST_STATUS_NAMES.get(manifest.status, manifest.status),
            )
        )
    parcel_ids = list(session.scalars(select(Parcel.id).where(Parcel.manifest_id == manifest.id)))
    if not parcel_ids:
        raise Conflict(
            _l("Manifest %(number)s has no parcels: load some first.", number=manifest.number)
        )
    lock_parcels(session, parcel_ids)
    parcels = list(
        session.scalars(
            select(Parcel)
            .where(Parcel.id.in_(parcel_ids))
            .options(selectinload(Parcel.lines))
            .order_by(Parcel.id)
        )
    )
    not_packed = [p for p in parcels if p.status != ParcelStatus.PACKED]
    if not_packed:
        raise Conflict(
            _l(
                "Every parcel on a manifest must be packed before it is dispatched; these are"
                " not: %(codes)s.",
                codes=_codes(not_packed),
            )
        )
    kits: dict[int, int] = defaultdict(int)
    for parcel in parcels:
        for line in parcel.lines:
            kits[line.batch_id] += line.kits
    lock_batches(session, list(kits))
    on_hand = {
        level.batch_id: level.on_hand
        for level in stock_levels(session, warehouse_id=manifest.warehouse_id)
    }
    for batch_id, quantity in sorted(kits.items()):
        if on_hand.get(batch_id, 0) < quantity:  # pragma: no cover - rule 1 forbids it
            raise Conflict(
                _l(
                    "The warehouse holds fewer kits than manifest %(number)s carries.",
                    number=manifest.number,
                )
            )
        session.add(
            StockMovement(
                batch_id=batch_id,
                warehouse_id=manifest.warehouse_id,
                kind=MovementKind.DISPATCH,
                quantity=-quantity,
                reason=manifest.number,
                manifest_id=manifest.id,
                user=user,
                created_at=now,
            )
        )
    for parcel in parcels:
        change_status(
            session, parcel, ParcelStatus.DISPATCHED, user=user, now=now, note=manifest.number
        )
    manifest.status = ManifestStatus.DISPATCHED
    manifest.dispatched_by = user
    manifest.dispatched_at = now
    session.flush()
    return manifest


# -- reads ---------------------------------------------------------------------------------


def manifests_query(*, status: str | None = None, warehouse_id: int | None = None) -> Select:
    """Manifests, newest first, by status and warehouse."""
    query = select(Manifest).options(selectinload(Manifest.warehouse))
    if status:
        query = query.where(Manifest.status == status)
    if warehouse_id is not None:
        query = query.where(Manifest.warehouse_id == warehouse_id)
    return query.order_by(Manifest.id.desc())


def manifest_counts(session: Session, manifest_ids: list[int]) -> dict[int, dict[str, int]]:
    """Parcels per status on each manifest, with `parcels` (all) and `kits` totals."""
    counts: dict[int, dict[str, int]] = {
        mid: {"parcels": 0, "kits": 0, **{s.value: 0 for s in ParcelStatus}} for mid in manifest_ids
    }
    if manifest_ids:
        for mid, status, n, kits in session.execute(
            select(Parcel.manifest_id, Parcel.status, func.count(), func.sum(Parcel.kits))
            .where(Parcel.manifest_id.in_(manifest_ids))
            .group_by(Parcel.manifest_id, Parcel.status)
        ):
            counts[mid][status] = n
            counts[mid]["parcels"] += n
            counts[mid]["kits"] += int(kits or 0)
    return counts


def manifest_parcels(session: Session, manifest: Manifest) -> list[Parcel]:
    """The parcels on a manifest with their households, by village then household."""
    return list(
        session.scalars(
            select(Parcel)
            .join(Household, Household.id == Parcel.household_id)
            .where(Parcel.manifest_id == manifest.id)
            .options(selectinload(Parcel.household))
            .order_by(Household.village, Household.code, Parcel.id)
        )
    )


def get_manifest(session: Session, manifest_id: int) -> Manifest:
    manifest = session.get(Manifest, manifest_id) if 1 <= manifest_id <= 2**31 - 1 else None
    if manifest is None:
        raise NotFound(_l("There is no manifest with the id %(id)s.", id=manifest_id))
    return manifest


__all__ = [
    "create_manifest",
    "dispatch_manifest",
    "get_manifest",
    "load_parcels",
    "manifest_counts",
    "manifest_parcels",
    "manifest_year",
    "manifests_query",
]
