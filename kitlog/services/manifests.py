"""Manifests (waybills): one truck or motorbike trip from a warehouse, its parcels, its
dispatch, its closing.

A manifest is numbered per warehouse and year (`SBY-01/2026/0001`) from a database
counter. Parcels are loaded onto it while it is open (listed at creation, scanned with
the `load` action, or picked by round and area) and can be taken off until it leaves;
dispatching it issues their kits from the warehouse's stock (ledger `dispatch`, one
movement per batch, naming the manifest), writes one ManifestParcel per parcel and
copies the kits, weight and volume onto the manifest, all in one transaction. Closing
it reconciles the trip: every parcel that left is delivered or returned (failed and,
with a reason, never-scanned parcels go back to stock). An open manifest can be
cancelled: it keeps its number and is void.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask_babel import LazyString, format_decimal, format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from kitlog.documents.manifest import (
    ManifestDocument,
    ManifestRow,
    render_manifest,
)
from kitlog.models import (
    UNLOADED,
    Donor,
    DonorBatch,
    Household,
    KitType,
    Manifest,
    ManifestOutcome,
    ManifestParcel,
    ManifestStatus,
    MovementKind,
    Parcel,
    ParcelLine,
    ParcelStatus,
    Round,
    StockMovement,
    User,
    Warehouse,
)
from kitlog.models.base import utcnow
from kitlog.names import MANIFEST_STATUS_IN_TEXT
from kitlog.services import places, sequences, time_zones
from kitlog.services.distribution import find_parcel
from kitlog.services.errors import Conflict, FieldError, InvalidValues, NotFound
from kitlog.services.households import _Bad as BadValue
from kitlog.services.households import clean_person_name, clean_phone
from kitlog.services.locking import lock_batches
from kitlog.services.parcel_codes import format_short_code
from kitlog.services.scans import (
    change_status,
    load_refusal,
    lock_manifest,
    lock_parcels,
    return_to_stock,
)
from kitlog.services.stock import stock_levels
from kitlog.text import storable

MAX_DESTINATION = 200
MAX_VEHICLE = 40
MAX_NOTE = 1000
MAX_PARCELS = 2000  # parcels one manifest may list when it is created
MAX_NAMED = 10  # bad parcels a refusal names before it says "and N more"
MAX_REASON = 1000
# The note of the ParcelEvent that records a parcel taken off a manifest before it left
# (a load event's note is the bare manifest number).


def _one_line(
    errors: list[FieldError], field: str, value: object, limit: int, message: str | LazyString
) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        errors.append(FieldError(field, message))
    elif len(text) > limit:
        errors.append(FieldError(field, _l("Keep this under %(n)s characters.", n=limit)))
    elif not storable(text):
        errors.append(FieldError(field, _l("Contains characters that are not allowed.")))
    return text


def _codes(parcels: list[Parcel]) -> str:
    codes = [format_short_code(p.short_code) for p in parcels[:MAX_NAMED]]
    more = len(parcels) - len(codes)
    text = ", ".join(codes)
    return str(_l("%(codes)s and %(n)s more", codes=text, n=more)) if more else text


def manifest_year(now: datetime, zone: str | None = None) -> int:
    """The year a manifest is numbered in: its warehouse's local year (the deployment's
    when no zone is given)."""
    return time_zones.in_zone(now, time_zones.zone_of(zone)).year


def _parcels_named(session: Session, codes: list[str], errors: list[FieldError]) -> list[Parcel]:
    """The parcels these codes name; each code that names none adds an error on `parcels`."""
    found: list[Parcel] = []
    for code in codes:
        try:
            found.append(find_parcel(session, code))
        except NotFound as error:
            errors.append(FieldError("parcels", error.message))
    return found


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
    elif not storable(note):
        errors.append(FieldError("note", _l("Contains characters that are not allowed.")))
    codes = list(dict.fromkeys(parcels or []))
    if len(codes) > MAX_PARCELS:
        errors.append(
            FieldError("parcels", _l("List at most %(n)s parcels at once.", n=MAX_PARCELS))
        )
        codes = []
    found = _parcels_named(session, codes, errors)
    if errors:
        raise InvalidValues(errors)
    assert warehouse is not None  # noqa: S101 - checked above
    now = now or utcnow()
    year = manifest_year(now, warehouse.timezone)
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
    _refuse_unless(
        manifest,
        ManifestStatus.OPEN,
        _l("Manifest %(number)s is %(status)s: only an open manifest can be dispatched."),
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
                " not: %(codes)s. Take them off the manifest first.",
                codes=_codes(not_packed),
            ),
            parcels=[format_short_code(p.short_code) for p in not_packed],
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
        session.add(ManifestParcel(manifest_id=manifest.id, parcel_id=parcel.id, kits=parcel.kits))
    # The waybill's figures are copied now: a kit type corrected later does not change them.
    totals = parcel_totals(session, [p.id for p in parcels])
    manifest.kits_total = totals.kits
    manifest.weight_kg = totals.weight_kg
    manifest.volume_m3 = totals.volume_m3
    manifest.status = ManifestStatus.DISPATCHED
    manifest.dispatched_by = user
    manifest.dispatched_at = now
    session.flush()
    return manifest


def _clean_reason(value: object, *, required: bool, message: str | LazyString) -> str:
    reason = (value or "").strip() if isinstance(value, str) else ""
    if required and not reason:
        raise InvalidValues([FieldError("reason", message)])
    if len(reason) > MAX_REASON:
        raise InvalidValues(
            [FieldError("reason", _l("Keep this under %(n)s characters.", n=MAX_REASON))]
        )
    if not storable(reason):
        raise InvalidValues([FieldError("reason", _l("Contains characters that are not allowed."))])
    return reason


def _status_name(manifest: Manifest) -> str | LazyString:
    return MANIFEST_STATUS_IN_TEXT.get(manifest.status, manifest.status)


def _refuse_unless(manifest: Manifest, status: str, message: LazyString) -> None:
    """Conflict unless the (freshly locked) manifest is in `status`. `message` is the
    refusal as written at the call site, naming the manifest as %(number)s and its
    status as %(status)s."""
    if manifest.status == status:
        return
    values = {"number": manifest.number, "status": _status_name(manifest)}
    raise Conflict(LazyString(lambda: str(message) % values))


def add_parcels(
    session: Session,
    manifest: Manifest,
    codes: list[str],
    *,
    user: User | None,
    now: datetime | None = None,
) -> list[Parcel]:
    """Load the parcels these codes name onto an open manifest (all or nothing)."""
    codes = list(dict.fromkeys(c for c in codes if isinstance(c, str) and c.strip()))
    if not codes:
        raise InvalidValues([FieldError("parcels", _l("List the parcels to load."))])
    if len(codes) > MAX_PARCELS:
        raise InvalidValues(
            [FieldError("parcels", _l("List at most %(n)s parcels at once.", n=MAX_PARCELS))]
        )
    errors: list[FieldError] = []
    found = _parcels_named(session, codes, errors)
    if errors:
        raise InvalidValues(errors)
    found = list({p.id: p for p in found}.values())
    load_parcels(session, manifest, found, user=user, now=now)
    return found


@dataclass(frozen=True)
class _Pick:
    """One level of the area a trip is loaded for: an official place's code and, for a
    name typed, the name (households whose place has no code yet match by it)."""

    level: str  # district | village
    code: str | None
    name: str

    @property
    def label(self) -> str:
        if self.code:
            place = places.gazetteer().get(self.code)
            return place.name if place else self.code
        return self.name

    def condition(self) -> ColumnElement[bool]:
        code_column: InstrumentedAttribute[str | None] = getattr(Household, f"{self.level}_code")
        name_column: InstrumentedAttribute[str] = getattr(Household, self.level)
        by_name = and_(code_column.is_(None), func.lower(name_column) == self.name.lower())
        if self.code is None:
            return by_name
        if not self.name:
            return code_column == self.code
        return or_(code_column == self.code, by_name)


def _area_query(manifest: Manifest, round_: Round, picks: list[_Pick]) -> Select[int]:
    """Packed parcels of the round in the area that are on no open manifest."""
    on_open = select(Manifest.id).where(Manifest.status == ManifestStatus.OPEN)
    query = (
        select(Parcel.id)
        .join(Household, Household.id == Parcel.household_id)
        .where(
            Parcel.round_id == round_.id,
            Parcel.status == ParcelStatus.PACKED,
            (Parcel.manifest_id.is_(None)) | (Parcel.manifest_id.not_in(on_open)),
            *(pick.condition() for pick in picks),
        )
    )
    return query.order_by(Parcel.id)


def _coded(value: str, level: str, field: str) -> places.Place | None:
    """The official place of `level` a code names; None for no code."""
    if not value:
        return None
    code = places.normalise_code(value)
    place = places.gazetteer().get(code)
    if place is None or place.level != level:
        message = {
            "district": _l("%(value)s is not the official code of a district.", value=value[:20]),
            "village": _l("%(value)s is not the official code of a village.", value=value[:20]),
        }[level]
        raise InvalidValues([FieldError(field, message)])
    return place


def _round_places(session: Session, round_: Round, level: str) -> list[tuple[str | None, str]]:
    """The (code, name) of the districts or villages the round's households live in."""
    code_column = getattr(Household, f"{level}_code")
    query = (
        select(code_column, getattr(Household, level))
        .join(Parcel, Parcel.household_id == Household.id)
        .where(Parcel.round_id == round_.id)
        .distinct()
    )
    return [(code, name) for code, name in session.execute(query)]


def _same_name(level: str, typed: str, stored: str) -> bool:
    return places.name_key(level, typed)[1] == places.name_key(level, stored)[1]


def _pick(
    session: Session,
    round_: Round,
    level: str,
    name: str,
    parent: str | None,
    *,
    within: bool,
) -> _Pick:
    """The place a typed name means: the one place of that name among the round's
    households (under `parent` when `within`), else the one under `parent` in the official
    list; households with no code yet match by the name itself."""
    gazetteer = places.gazetteer()
    codes = set()
    legacy = False
    for code, stored in _round_places(session, round_, level):
        if not _same_name(level, name, stored):
            continue
        if code is None:
            legacy = True
        elif not within or parent is None or code.startswith(parent + "."):
            codes.add(code)
    if len(codes) > 1:
        found = [gazetteer.by_code[code] for code in sorted(codes) if code in gazetteer.by_code]
        shown = found[: places.MAX_SUGGESTIONS]
        message = _l(
            "The round's households live in more than one %(value)s: %(places)s. Choose one,"
            " or give its code.",
            value=name[:60],
            places=", ".join(_with_parent(p) for p in shown),
        )
        raise InvalidValues([FieldError(level, message, suggestions=[p.as_dict() for p in shown])])
    if codes:
        return _Pick(level, codes.pop(), name)
    parent_place = gazetteer.get(parent)
    if legacy or parent_place is None:
        return _Pick(level, None, name)
    return _Pick(level, places.find(level, name, parent_place).code, name)


def _with_parent(place: places.Place) -> str:
    parent = places.gazetteer().get(place.parent)
    return f"{place.label}, {parent.name}" if parent else place.label


def _regency_of(session: Session, round_: Round) -> str | None:
    """The regency a district name is looked for in: the round's; for a round with no
    regency, the one all its households live in, else (a round with no area at all)
    its warehouse's."""
    if round_.regency_code:
        return round_.regency_code
    query = (
        select(Household.regency_code)
        .join(Parcel, Parcel.household_id == Household.id)
        .where(Parcel.round_id == round_.id, Household.regency_code.is_not(None))
        .distinct()
        .limit(2)
    )
    found = list(session.scalars(query))
    if len(found) == 1:
        return found[0]
    return None if round_.province_code else round_.warehouse.regency_code


def _area_picks(
    session: Session,
    round_: Round,
    *,
    district: str,
    village: str,
    district_code: str,
    village_code: str,
) -> list[_Pick]:
    """The district and/or village to load for, by official code or by name: a name is
    found among the round's households, or else in the official list (under the round's
    regency, or the district given)."""
    district_place = _coded(district_code, "district", "district_code")
    village_place = _coded(village_code, "village", "village_code")
    if district_place and village_place and village_place.parent != district_place.code:
        message = _l(
            "%(village)s is not in the district %(district)s.",
            village=village_place.label,
            district=district_place.label,
        )
        raise InvalidValues([FieldError("village_code", message)])
    picks: list[_Pick] = []
    if district_place:
        picks.append(_Pick("district", district_place.code, ""))
    elif district:
        area = _regency_of(session, round_)
        picks.append(_pick(session, round_, "district", district, area, within=False))
    if village_place:
        picks.append(_Pick("village", village_place.code, ""))
    elif village:
        parent = picks[0].code if picks and picks[0].code else None
        picks.append(_pick(session, round_, "village", village, parent, within=True))
    return picks


def add_parcels_by_area(
    session: Session,
    manifest: Manifest,
    *,
    round: Round | None,  # noqa: A002 - the domain's word
    district: str = "",
    village: str = "",
    district_code: str = "",
    village_code: str = "",
    user: User | None,
    now: datetime | None = None,
) -> list[Parcel]:
    """Load every packed parcel of the round whose household lives in the district and/or
    village (each by official code or by name), that is not on an open manifest, onto
    this open manifest (its warehouse's parcels only)."""
    errors: list[FieldError] = []
    if round is None:
        errors.append(FieldError("round", _l("Choose the round.")))
    district, village, district_code, village_code = (
        " ".join(str(value or "").split())
        for value in (district, village, district_code, village_code)
    )
    if not (district or village or district_code or village_code):
        errors.append(FieldError("district", _l("Give a district, a village or both.")))
    if errors:
        raise InvalidValues(errors)
    assert round is not None  # noqa: S101 - checked above
    now = now or utcnow()
    manifest = lock_manifest(session, manifest)
    _refuse_unless(
        manifest,
        ManifestStatus.OPEN,
        _l("Manifest %(number)s is %(status)s: only an open manifest can be loaded."),
    )
    if round.warehouse_id != manifest.warehouse_id:
        raise Conflict(
            _l(
                "Round %(name)s is packed in %(round_warehouse)s; manifest %(number)s leaves"
                " from %(manifest_warehouse)s.",
                name=round.name,
                round_warehouse=round.warehouse.code,
                number=manifest.number,
                manifest_warehouse=manifest.warehouse.code,
            ),
            field="round",
        )
    picks = _area_picks(
        session,
        round,
        district=district,
        village=village,
        district_code=district_code,
        village_code=village_code,
    )
    ids = list(session.scalars(_area_query(manifest, round, picks)))
    if ids:
        lock_parcels(session, ids)
        ids = list(session.scalars(_area_query(manifest, round, picks)))
    if not ids:
        raise Conflict(
            _l(
                "No packed parcel of round %(name)s in %(area)s is waiting for a trip.",
                name=round.name,
                area=", ".join(pick.label for pick in reversed(picks)),
            ),
            field="district",
        )
    parcels = list(session.scalars(select(Parcel).where(Parcel.id.in_(ids)).order_by(Parcel.id)))
    load_parcels(session, manifest, parcels, user=user, now=now)
    return parcels


def _unload(
    session: Session,
    manifest: Manifest,
    parcel: Parcel,
    user: User | None,
    now: datetime,
    note: str,
) -> None:
    parcel.manifest_id = None
    parcel.manifest = None
    change_status(session, parcel, parcel.status, user=user, now=now, note=note)


def remove_parcel(
    session: Session,
    manifest: Manifest,
    parcel: Parcel,
    *,
    user: User | None,
    now: datetime | None = None,
) -> Parcel:
    """Take a parcel off a manifest that has not left yet; it stays packed on the shelf
    (a parcel cancelled after loading is taken off the same way)."""
    now = now or utcnow()
    manifest = lock_manifest(session, manifest)
    lock_parcels(session, [parcel.id])
    if parcel.manifest_id != manifest.id:
        raise NotFound(
            _l(
                "Parcel %(code)s is not on manifest %(number)s.",
                code=format_short_code(parcel.short_code),
                number=manifest.number,
            ),
            field="parcel",
        )
    _refuse_unless(
        manifest,
        ManifestStatus.OPEN,
        _l("Manifest %(number)s is %(status)s: parcels can only be taken off before it leaves."),
    )
    _unload(session, manifest, parcel, user, now, UNLOADED + manifest.number)
    session.flush()
    return parcel


def cancel_manifest(
    session: Session,
    manifest: Manifest,
    *,
    reason: str,
    user: User | None,
    now: datetime | None = None,
) -> Manifest:
    """Void an open manifest: it keeps its number, its parcels come off it (still packed)."""
    reason = _clean_reason(reason, required=True, message=_l("Say why the manifest is cancelled."))
    now = now or utcnow()
    manifest = lock_manifest(session, manifest)
    _refuse_unless(
        manifest,
        ManifestStatus.OPEN,
        _l(
            "Manifest %(number)s is %(status)s: only a manifest that has not left can be cancelled."
        ),
    )
    parcels = list(
        session.scalars(select(Parcel).where(Parcel.manifest_id == manifest.id).order_by(Parcel.id))
    )
    lock_parcels(session, [p.id for p in parcels])
    for parcel in parcels:
        _unload(session, manifest, parcel, user, now, UNLOADED + manifest.number)
    manifest.status = ManifestStatus.CANCELLED
    manifest.cancelled_by = user
    manifest.cancelled_at = now
    manifest.cancel_reason = reason
    session.flush()
    return manifest


def _lines_of(session: Session, manifest: Manifest) -> list[ManifestParcel]:
    """The manifest's ManifestParcel rows; written now for a manifest dispatched before
    they existed (its parcels still name it)."""
    lines = list(
        session.scalars(
            select(ManifestParcel)
            .where(ManifestParcel.manifest_id == manifest.id)
            .order_by(ManifestParcel.parcel_id)
        )
    )
    if not lines:
        for parcel in session.scalars(
            select(Parcel).where(Parcel.manifest_id == manifest.id).order_by(Parcel.id)
        ):
            line = ManifestParcel(manifest_id=manifest.id, parcel_id=parcel.id, kits=parcel.kits)
            session.add(line)
            lines.append(line)
        session.flush()
    return lines


def unaccounted_parcels(session: Session, manifest: Manifest) -> dict[str, list[Parcel]]:
    """What closing this manifest would return: `failed` parcels and parcels `dispatched`
    but never scanned since (still on this trip)."""
    parcels = session.scalars(
        select(Parcel)
        .join(Household, Household.id == Parcel.household_id)
        .where(
            Parcel.manifest_id == manifest.id,
            Parcel.status.in_([ParcelStatus.FAILED, ParcelStatus.DISPATCHED]),
        )
        .options(selectinload(Parcel.household))
        .order_by(Household.village, Household.code, Parcel.id)
    )
    answer: dict[str, list[Parcel]] = {"failed": [], "dispatched": []}
    for parcel in parcels:
        answer[parcel.status].append(parcel)
    return answer


def close_manifest(
    session: Session,
    manifest: Manifest,
    *,
    reason: str = "",
    user: User | None,
    now: datetime | None = None,
) -> Manifest:
    """Reconcile a dispatched manifest: failed parcels go back to stock (ledger `return`),
    and with a reason so do parcels never scanned; without one, any parcel still
    dispatched refuses the closing (409 listing them). Every parcel that left is then
    delivered or returned: delivered + returned = dispatched."""
    reason = _clean_reason(reason, required=False, message="")
    now = now or utcnow()
    manifest = lock_manifest(session, manifest)
    _refuse_unless(
        manifest,
        ManifestStatus.DISPATCHED,
        _l("Manifest %(number)s is %(status)s: only a dispatched manifest can be closed."),
    )
    lines = _lines_of(session, manifest)
    lock_parcels(session, [line.parcel_id for line in lines])
    parcels = {
        p.id: p
        for p in session.scalars(
            select(Parcel)
            .where(Parcel.id.in_([line.parcel_id for line in lines]))
            .options(selectinload(Parcel.lines), selectinload(Parcel.round))
        )
    }
    on_trip = [parcels[line.parcel_id] for line in lines]
    on_trip = [p for p in on_trip if p.manifest_id == manifest.id]
    never_scanned = [p for p in on_trip if p.status == ParcelStatus.DISPATCHED]
    if never_scanned and not reason:
        raise Conflict(
            _l(
                "These parcels were never scanned as delivered, failed or returned: %(codes)s."
                " A discrepancy needs a reason: give one to return them to stock.",
                codes=_codes(never_scanned),
            ),
            field="reason",
            parcels=[format_short_code(p.short_code) for p in never_scanned],
        )
    coming_back = [p for p in on_trip if p.status in (ParcelStatus.FAILED, ParcelStatus.DISPATCHED)]
    if coming_back:
        return_to_stock(session, coming_back, user=user, now=now)
        for parcel in coming_back:
            change_status(
                session,
                parcel,
                ParcelStatus.RETURNED,
                user=user,
                now=now,
                note=reason or manifest.number,
            )
    delivered = returned = 0
    for line in lines:
        parcel = parcels[line.parcel_id]
        if parcel.manifest_id == manifest.id and parcel.status == ParcelStatus.DELIVERED:
            line.outcome = ManifestOutcome.DELIVERED
            delivered += line.kits
        else:  # returned on this trip (and maybe packed, loaded or cancelled since)
            line.outcome = ManifestOutcome.RETURNED
            returned += line.kits
    dispatched = sum(line.kits for line in lines)
    assert delivered + returned == dispatched  # noqa: S101 - the manifest reconciles
    manifest.status = ManifestStatus.CLOSED
    manifest.closed_by = user
    manifest.closed_at = now
    manifest.close_reason = reason
    session.flush()
    return manifest


# -- reads ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    """Kits, weight and volume of some parcels (weight and volume from the kit types)."""

    kits: int
    weight_kg: Decimal
    volume_m3: Decimal


def parcel_totals(session: Session, parcel_ids: list[int]) -> Totals:
    """The parcels' kits, and their weight and volume from their batches' kit types."""
    kits, weight, volume = 0, Decimal(0), Decimal(0)
    if parcel_ids:
        rows = session.execute(
            select(ParcelLine.kits, KitType.weight_kg, KitType.volume_m3)
            .join(DonorBatch, DonorBatch.id == ParcelLine.batch_id)
            .join(KitType, KitType.id == DonorBatch.kit_type_id)
            .where(ParcelLine.parcel_id.in_(parcel_ids))
        )
        for n, kg, m3 in rows:
            kits += n
            weight += Decimal(kg or 0) * n
            volume += Decimal(m3 or 0) * n
    return Totals(kits, weight.quantize(Decimal("0.001")), volume.quantize(Decimal("0.0001")))


def manifest_totals(session: Session, manifest: Manifest) -> tuple[Totals, bool]:
    """The waybill's totals and whether they are provisional: the figures copied at
    dispatch once it has left; live figures of the parcels on it before."""
    if manifest.kits_total is not None:
        return (
            Totals(
                manifest.kits_total,
                Decimal(manifest.weight_kg or 0),
                Decimal(manifest.volume_m3 or 0),
            ),
            False,
        )
    ids = list(session.scalars(select(Parcel.id).where(Parcel.manifest_id == manifest.id)))
    return parcel_totals(session, ids), True


def manifests_query(
    *, status: str | None = None, warehouse_id: int | None = None
) -> Select[Manifest]:
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
            assert mid is not None  # noqa: S101 - the query asks for these manifests' parcels
            counts[mid][status] = n
            counts[mid]["parcels"] += n
            counts[mid]["kits"] += int(kits or 0)
    return counts


def manifest_parcels(session: Session, manifest: Manifest) -> list[Parcel]:
    """The parcels on a manifest with their households, by village then household: those
    loaded while it is open, those that left on it (ManifestParcel) once it has."""
    query = select(Parcel).join(Household, Household.id == Parcel.household_id)
    left = select(ManifestParcel.parcel_id).where(ManifestParcel.manifest_id == manifest.id)
    if manifest.status in (ManifestStatus.DISPATCHED, ManifestStatus.CLOSED) and session.scalar(
        select(func.count()).select_from(left.subquery())
    ):
        query = query.where(Parcel.id.in_(left))
    else:
        query = query.where(Parcel.manifest_id == manifest.id)
    return list(
        session.scalars(
            query.options(selectinload(Parcel.household)).order_by(
                Household.village, Household.code, Parcel.id
            )
        )
    )


def manifest_outcomes(session: Session, manifest: Manifest) -> dict[int, str | None]:
    """What became of each parcel that left on the manifest (set when it closes)."""
    return dict(
        session.execute(
            select(ManifestParcel.parcel_id, ManifestParcel.outcome).where(
                ManifestParcel.manifest_id == manifest.id
            )
        ).all()
    )


def get_manifest(session: Session, manifest_id: int) -> Manifest:
    manifest = session.get(Manifest, manifest_id) if 1 <= manifest_id <= 2**31 - 1 else None
    if manifest is None:
        raise NotFound(_l("There is no manifest with the id %(id)s.", id=manifest_id))
    return manifest


__all__ = [
    "UNLOADED",
    "Totals",
    "add_parcels",
    "add_parcels_by_area",
    "cancel_manifest",
    "close_manifest",
    "create_manifest",
    "dispatch_manifest",
    "get_manifest",
    "load_parcels",
    "manifest_counts",
    "manifest_document",
    "manifest_filename",
    "manifest_pdf",
    "manifest_url",
    "manifest_outcomes",
    "manifest_parcels",
    "manifest_year",
    "manifest_totals",
    "manifests_query",
    "parcel_totals",
    "remove_parcel",
    "unaccounted_parcels",
    "waiting_areas",
]


# -- the printed manifest ------------------------------------------------------------------


def manifest_document(
    session: Session,
    manifest: Manifest,
    *,
    organisation: str,
    url: str,
    show_names: bool,
) -> ManifestDocument:
    """What the manifest PDF prints: plain strings, no NIK and no phone of any household
    (the head of household's name only for readers of households, or when the round
    prints it on its labels; without either, no column for it)."""
    parcels = manifest_parcels(session, manifest)
    round_ids = sorted({p.round_id for p in parcels})
    rounds = (
        list(session.scalars(select(Round).where(Round.id.in_(round_ids)).order_by(Round.id)))
        if round_ids
        else []
    )
    donors = (
        list(
            session.scalars(
                select(Donor.name)
                .join(DonorBatch, DonorBatch.donor_id == Donor.id)
                .join(ParcelLine, ParcelLine.batch_id == DonorBatch.id)
                .where(ParcelLine.parcel_id.in_([p.id for p in parcels]))
                .distinct()
                .order_by(Donor.name)
            )
        )
        if parcels
        else []
    )
    named_rounds = {r.id for r in rounds if r.show_head_name}
    rows = [
        ManifestRow(
            short_code=format_short_code(p.short_code),
            household_code=p.household.code,
            village=f"{p.household.village}, {p.household.district}",
            head_name=p.household.head_name if show_names or p.round_id in named_rounds else "",
            kits=p.kits,
        )
        for p in parcels
    ]
    totals, provisional = manifest_totals(session, manifest)
    # Dates and times on the warehouse's clock, which the driver and the villages share.
    zone = time_zones.zone_of(manifest.warehouse)
    day = manifest.dispatched_at or None
    if day is not None:
        local = time_zones.in_zone(day, zone)
        clock = format_time(local, "HH:mm", rebase=False)
        abbreviation = time_zones.abbreviation(zone, local)
        when = f"{time_zones.format_day(local.date(), 'long')} {clock} {abbreviation}"
    elif manifest.planned_date is not None:
        when = time_zones.format_day(manifest.planned_date, "long")
    else:
        when = time_zones.format_day(time_zones.in_zone(manifest.created_at, zone).date(), "long")
    dispatcher = manifest.dispatched_by.name if manifest.dispatched_by is not None else ""
    return ManifestDocument(
        organisation=organisation,
        number=manifest.number,
        url=url,
        date=when,
        origin=f"{manifest.warehouse.code} · {manifest.warehouse.name}",
        destination=manifest.destination,
        vehicle=manifest.vehicle,
        driver_name=manifest.driver_name,
        driver_phone=manifest.driver_phone,
        status=str(MANIFEST_STATUS_IN_TEXT.get(manifest.status, manifest.status)),
        donors=donors,
        rounds=[r.name for r in rounds],
        rows=rows,
        kits_total=format_decimal(totals.kits),
        weight=_("%(kg)s kg", kg=format_decimal(totals.weight_kg, "#,##0.0##")),
        volume=_("%(m3)s m³", m3=format_decimal(totals.volume_m3, "#,##0.00##")),
        provisional=provisional,
        void=manifest.status == ManifestStatus.CANCELLED,
        void_reason=manifest.cancel_reason,
        dispatcher_name=dispatcher,
        note=manifest.note,
        heads=show_names or bool(named_rounds),
    )


@dataclass(frozen=True)
class PrintedManifest:
    """A manifest PDF and how many heads of household it names (for the audit log)."""

    pdf: bytes
    names: int


def manifest_pdf(
    session: Session, manifest: Manifest, *, organisation: str, base_url: str, show_names: bool
) -> PrintedManifest:
    """The printed manifest; its QR code opens <base_url>/manifests/<id>."""
    document = manifest_document(
        session,
        manifest,
        organisation=organisation,
        url=manifest_url(base_url, manifest),
        show_names=show_names,
    )
    return PrintedManifest(
        pdf=render_manifest(document, gettext=_),
        names=sum(1 for row in document.rows if row.head_name),
    )


def manifest_url(base_url: str, manifest: Manifest) -> str:
    """The manifest's own page, as its printed QR code encodes it."""
    return f"{base_url.rstrip('/')}/manifests/{manifest.id}"


def manifest_filename(manifest: Manifest) -> str:
    return "manifest-" + manifest.number.replace("/", "-") + ".pdf"


@dataclass(frozen=True)
class AreaChoice:
    """A district or village to offer: `value` is what the field takes (its name, or its
    code where two waiting places share the name), `label` says which it is."""

    value: str
    label: str


@dataclass(frozen=True)
class WaitingAreas:
    """Where packed parcels of a warehouse wait for a trip: rounds, districts, villages."""

    rounds: list[Round]
    districts: list[AreaChoice]
    villages: list[AreaChoice]


def _choices(found: set[tuple[str | None, str, str]]) -> list[AreaChoice]:
    """(code, name, where) → choices by name; a name that means two places is offered by
    code, with its name and where it is."""
    codes_by_name: dict[str, set[str | None]] = defaultdict(set)
    for code, name, _where in found:
        codes_by_name[name].add(code)
    choices = set()
    for code, name, where in found:
        label = f"{name}, {where}" if where else name
        shared = len(codes_by_name[name]) > 1
        choices.add(AreaChoice(code if shared and code else name, label))
    return sorted(choices, key=lambda c: (c.label, c.value))


def waiting_areas(session: Session, warehouse_id: int) -> WaitingAreas:
    """The rounds, districts and villages of the warehouse's packed parcels that are on
    no open manifest: the choices for adding parcels by area."""
    on_open = select(Manifest.id).where(Manifest.status == ManifestStatus.OPEN)
    waiting = (
        select(
            Parcel.round_id,
            Household.district_code,
            Household.district,
            Household.village_code,
            Household.village,
            Household.regency,
        )
        .join(Household, Household.id == Parcel.household_id)
        .join(Round, Round.id == Parcel.round_id)
        .where(
            Round.warehouse_id == warehouse_id,
            Parcel.status == ParcelStatus.PACKED,
            (Parcel.manifest_id.is_(None)) | (Parcel.manifest_id.not_in(on_open)),
        )
        .distinct()
    )
    rows = session.execute(waiting).all()
    round_ids = sorted({row.round_id for row in rows})
    rounds = (
        list(session.scalars(select(Round).where(Round.id.in_(round_ids)).order_by(Round.id)))
        if round_ids
        else []
    )
    return WaitingAreas(
        rounds=rounds,
        districts=_choices({(r.district_code, r.district, r.regency) for r in rows}),
        villages=_choices({(r.village_code, r.village, r.district) for r in rows}),
    )
