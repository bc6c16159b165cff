"""Scans of parcels: the parcel state machine, idempotent and safe under concurrency.

What each action does, from which statuses, under which guards and why it is refused is
the table in `services.parcel_actions`; this module applies it.

Every attempt is a Scan row: accepted (200), refused (409, saying what happened before,
when and by whom) or of an unknown code (404). Rule 3 (a parcel is delivered at most
once; a replayed scan changes nothing) is kept by the database:

- the parcel's row is locked (SELECT ... FOR UPDATE on PostgreSQL; SQLite's write lock)
  before its state is read, so two deliveries of one parcel run one after the other and
  the second sees the first;
- `scans.idempotency_key` is UNIQUE: the scan is inserted, and the transition applied,
  inside a SAVEPOINT; a concurrent twin that got in first makes the insert fail, the
  savepoint is rolled back and the answer is the twin's, as a duplicate.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from flask_babel import LazyString, format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from kitlog.models import (
    FAIL_REASONS,
    SCAN_ACTIONS,
    Collector,
    Manifest,
    MovementKind,
    Parcel,
    ParcelEvent,
    ParcelFlag,
    ParcelLine,
    RecipientKind,
    Scan,
    ScanAction,
    ScanOutcome,
    StockMovement,
    User,
)
from kitlog.models.base import utcnow
from kitlog.names import SCAN_ACTION_IN_TEXT
from kitlog.services import cards, parcel_actions, proofs, time_zones
from kitlog.services.distribution import not_a_parcel, parcel_condition
from kitlog.services.errors import FieldError, InvalidValues, NotFound
from kitlog.services.households import name_key
from kitlog.services.locking import lock_batches, lock_row, write_lock
from kitlog.services.parcel_actions import TRANSITIONS
from kitlog.text import storable

KEY_PATTERN = re.compile(r"[A-Za-z0-9._:-]{8,64}\Z")
MAX_CODE = 2000  # what is looked up; the scan row keeps the first 200 characters
STORED_CODE = 200
# A phone's clock is believed within this window around the server's: an offline queue
# may send a scan days late, a clock may run a little fast. Outside it (a phone reset to
# 1970, a year typed as 0127) the scan still counts, at the time the server received it.
DEVICE_TIME_PAST = timedelta(days=366)
DEVICE_TIME_AHEAD = timedelta(hours=1)
MAX_RECIPIENT_NAME = 120
MAX_RECIPIENT_RELATION = 40
MAX_NOTE = 500

DUPLICATE = "duplicate"  # the outcome of a replayed key (never stored: the first scan is)


@dataclass(frozen=True)
class ScanInput:
    """One scan as a client sends it (docs/api.md, Scans)."""

    code: str  # short code, token or whole QR URL
    action: str  # pack, load, deliver, fail, return
    idempotency_key: str
    scanned_at: datetime | None = None  # the device's clock
    manifest: str | None = None  # for load: the manifest's id or number
    lat: float | None = None
    lon: float | None = None
    recipient_name: str = ""
    recipient_relation: str = ""
    reason: str | None = None  # for fail: nobody_home, moved, refused, wrong_address, other
    note: str = ""
    proof: object = None  # for deliver: {kind: signature | photo, image: base64 PNG/JPEG}
    card: object = ""  # for deliver: the household's card (its token, short code or URL)
    collector: object = None  # for deliver: the id of the household's collector who took it
    # for deliver: the phone accepted the card offline, from the saved trip's card hashes;
    # when the server then refuses the card, the parcel is flagged for follow-up
    checked_offline: object = False


@dataclass
class ScanResult:
    """What a scan answered: outcome ok / refused / duplicate / unknown, and its HTTP status."""

    outcome: str
    status: int  # 200 ok (and its duplicates), 409 refused, 404 unknown code
    detail: str  # why it was refused, in the language of the first attempt; "" when ok
    scan: Scan
    parcel: Parcel | None


@dataclass(frozen=True)
class _Clean:
    code: str
    action: str
    key: str
    scanned_at: datetime | None
    manifest: Manifest | None
    lat: float | None
    lon: float | None
    recipient_name: str
    recipient_relation: str
    reason: str | None
    note: str
    proof: proofs.ProofImage | None
    card: str
    collector_id: int | None
    checked_offline: bool


# -- input ---------------------------------------------------------------------------------


def _text(errors: list[FieldError], field: str, value: object, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.append(FieldError(field, _l("Enter text.")))
        return ""
    value = " ".join(value.split()) if field != "note" else value.strip()
    if len(value) > limit:
        errors.append(FieldError(field, _l("Keep this under %(n)s characters.", n=limit)))
    elif not storable(value):
        errors.append(FieldError(field, _l("Contains characters that are not allowed.")))
    return value


def _coordinate(errors: list[FieldError], field: str, value: object, limit: float) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        errors.append(FieldError(field, _l("Give a number of degrees.")))
        return None
    value = float(value)
    if not math.isfinite(value) or not -limit <= value <= limit:
        errors.append(
            FieldError(field, _l("Give degrees from %(low)s to %(high)s.", low=-limit, high=limit))
        )
        return None
    return value


def find_manifest(session: Session, reference: object) -> Manifest | None:
    """The manifest an id (number or digits) or a number (SBY-01/2026/0001) names."""
    if isinstance(reference, bool) or reference is None:
        return None
    if isinstance(reference, int):
        return session.get(Manifest, reference) if 1 <= reference <= 2**31 - 1 else None
    text_ = str(reference).strip()
    if text_.isascii() and text_.isdigit() and len(text_) <= 10:
        found = session.get(Manifest, int(text_)) if 1 <= int(text_) <= 2**31 - 1 else None
        if found is not None:
            return found
    return session.scalars(select(Manifest).where(Manifest.number == text_.upper()[:40])).first()


def _clean(session: Session, data: ScanInput) -> _Clean:
    """Every value checked; InvalidValues lists every bad one."""
    errors: list[FieldError] = []
    action = data.action if isinstance(data.action, str) else ""
    if action not in SCAN_ACTIONS:
        errors.append(
            FieldError(
                "action",
                _l("Choose one of the actions %(actions)s.", actions=", ".join(SCAN_ACTIONS)),
            )
        )
    key = data.idempotency_key if isinstance(data.idempotency_key, str) else ""
    if not KEY_PATTERN.match(key):
        errors.append(
            FieldError(
                "idempotency_key",
                _l("Give a key of 8 to 64 letters, digits and . _ : - (a UUID will do)."),
            )
        )
    code = data.code.strip() if isinstance(data.code, str) else ""
    if not code:
        errors.append(FieldError("code", _l("Scan or type the parcel's code.")))
    elif len(code) > MAX_CODE or not storable(code):
        errors.append(FieldError("code", _l("This is not a parcel's code.")))
    scanned_at = data.scanned_at
    if scanned_at is not None and (
        not isinstance(scanned_at, datetime) or scanned_at.utcoffset() is None
    ):
        errors.append(FieldError("scanned_at", _l("Give the time in ISO 8601 with its offset.")))
        scanned_at = None
    elif scanned_at is not None:
        scanned_at = scanned_at.astimezone(UTC)  # SQLite keeps no offset: store UTC, as *_at are
    requires = parcel_actions.BY_NAME[action].requires if action in SCAN_ACTIONS else ()
    manifest = None
    if "manifest" in requires:
        if data.manifest is None or (isinstance(data.manifest, str) and not data.manifest.strip()):
            errors.append(FieldError("manifest", _l("Choose the manifest to load onto.")))
        else:
            manifest = find_manifest(session, data.manifest)
            if manifest is None:
                errors.append(
                    FieldError(
                        "manifest",
                        _l("There is no manifest %(ref)s.", ref=str(data.manifest)[:40]),
                    )
                )
    reason = data.reason
    if reason is not None and reason not in FAIL_REASONS:
        errors.append(
            FieldError(
                "reason",
                _l("Choose one of the reasons %(reasons)s.", reasons=", ".join(FAIL_REASONS)),
            )
        )
        reason = None
    elif "reason" in requires and reason is None:
        errors.append(FieldError("reason", _l("Say why the delivery failed.")))
    lat = _coordinate(errors, "lat", data.lat, 90)
    lon = _coordinate(errors, "lon", data.lon, 180)
    recipient_name = _text(errors, "recipient_name", data.recipient_name, MAX_RECIPIENT_NAME)
    recipient_relation = _text(
        errors, "recipient_relation", data.recipient_relation, MAX_RECIPIENT_RELATION
    )
    note = _text(errors, "note", data.note, MAX_NOTE)
    proof = proofs.clean_proof(errors, data.proof) if action == ScanAction.DELIVER else None
    card = data.card if data.card is not None else ""
    if not isinstance(card, str):
        errors.append(FieldError("card", _l("Scan or type the household's card.")))
        card = ""
    card = card.strip()
    if len(card) > MAX_CODE or not storable(card):
        errors.append(FieldError("card", _l("This is not a household card's code.")))
        card = ""
    collector_id = data.collector
    if collector_id is not None and (
        isinstance(collector_id, bool)
        or not isinstance(collector_id, int)
        or not 1 <= collector_id <= 2**31 - 1
    ):
        errors.append(FieldError("collector", _l("Choose one of the household's collectors.")))
        collector_id = None
    if collector_id is not None and (data.recipient_name or data.recipient_relation):
        errors.append(
            FieldError(
                "collector",
                _l("Name either a collector or someone else who took the parcel, not both."),
            )
        )
    if not isinstance(data.checked_offline, bool):
        errors.append(FieldError("checked_offline", _l("Give true or false.")))
    if errors:
        raise InvalidValues(errors)
    return _Clean(
        code=code,
        action=action,
        key=key,
        scanned_at=scanned_at,
        manifest=manifest,
        lat=lat,
        lon=lon,
        recipient_name=recipient_name if action == ScanAction.DELIVER else "",
        recipient_relation=recipient_relation if action == ScanAction.DELIVER else "",
        reason=reason if action == ScanAction.FAIL else None,
        note=note,
        proof=proof,
        card=card if action == ScanAction.DELIVER else "",
        collector_id=collector_id if action == ScanAction.DELIVER else None,
        checked_offline=data.checked_offline is True and action == ScanAction.DELIVER,
    )


# -- locks ---------------------------------------------------------------------------------


def _sqlite_write_lock(session: Session, parcels: ColumnElement[bool]) -> None:
    """SQLite's database-wide write lock. A transaction that began as a reader takes it now
    by touching the parcels the condition finds (and fails rather than go on from a
    snapshot another writer has since changed)."""
    write_lock(
        session,
        update(Parcel)
        .where(parcels)
        .values(id=Parcel.id)
        .execution_options(synchronize_session=False),
    )


def lock_parcels(session: Session, parcel_ids: list[int]) -> None:
    """Serialise every change of these parcels until the transaction ends, and read them
    afresh: SELECT ... FOR UPDATE in id order on PostgreSQL; SQLite's write lock."""
    ids = sorted(set(parcel_ids))
    if not ids:
        return
    if session.get_bind().dialect.name == "sqlite":
        _sqlite_write_lock(session, Parcel.id == ids[0])
        return
    session.execute(
        select(Parcel)
        .where(Parcel.id.in_(ids))
        .order_by(Parcel.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()


# What a scan reads of its parcel (the round's status, the manifest) and what its answer
# shows (the household, the lines and their lots, the history and who made it): loaded
# with the parcel in one statement (a parcel has a line or two and a few events, so the
# joined rows are few) instead of one lazy load, or one round trip, each.
_SCAN_LOADS = (
    joinedload(Parcel.round, innerjoin=True),
    joinedload(Parcel.household, innerjoin=True),
    joinedload(Parcel.manifest),
    # outer joins all the way: an inner join nested inside an outer one makes SQLite's
    # planner join every line to its batch before it looks for the parcel's
    joinedload(Parcel.lines).joinedload(ParcelLine.batch),
    joinedload(Parcel.events).joinedload(ParcelEvent.user),
)


def _lock_for_scan(session: Session, condition: ColumnElement[bool]) -> Parcel | None:
    """The parcel the condition finds (distribution.parcel_condition), locked as
    lock_parcels does and read afresh together with what the scan and its answer read of
    it, in one statement: on PostgreSQL it also takes the row lock (FOR UPDATE OF parcels
    only: the joined rows are read, not locked). None when no parcel matches."""
    query = (
        select(Parcel)
        .where(condition)
        .options(*_SCAN_LOADS)
        .execution_options(populate_existing=True)
    )
    if session.get_bind().dialect.name == "sqlite":
        _sqlite_write_lock(session, condition)
    else:
        query = query.with_for_update(of=Parcel)
    return session.execute(query).unique().scalar_one_or_none()


def lock_manifest(session: Session, manifest: Manifest) -> Manifest:
    """Serialise loading and dispatching of one manifest and read it afresh. Taken
    before any parcel's lock (dispatch_manifest does the same), so they never deadlock."""
    return lock_row(session, manifest)


# -- who did what, when --------------------------------------------------------------------


def local_time(moment: datetime, *, now: datetime | None = None, zone: str | None = None) -> str:
    """3 Dec 14:02 in `zone` (the deployment's when None) and the reader's language; the
    year too when it is not this year, and the zone (3 Dec 14:02 WITA) when it is not the
    deployment's, which a sentence read at the station takes for granted."""
    zone = time_zones.zone_of(zone)
    local = time_zones.in_zone(moment, zone)
    this_year = time_zones.in_zone(now or utcnow(), zone).year
    pattern = "d MMM HH:mm" if local.year == this_year else "d MMM yyyy HH:mm"
    text = str(format_datetime(local, pattern, rebase=False))
    if zone != time_zones.deployment_zone():
        text += " " + time_zones.abbreviation(zone, local)
    return text


def _on_by(event: ParcelEvent | None, parcel: Parcel, now: datetime) -> LazyString:
    """ "on 3 Dec 14:02 WIB by Siti Rahayu", from the event (the parcel's last change if
    none), on the clock of the warehouse the parcel's round packs from."""
    when = local_time(
        event.created_at if event else parcel.updated_at,
        now=now,
        zone=parcel.round.warehouse.timezone,
    )
    who = event.user.name if event is not None and event.user is not None else None
    if who:
        return _l("on %(when)s by %(who)s", when=when, who=who)
    return _l("on %(when)s", when=when)


def _last_event(
    session: Session, parcel: Parcel, status: str, from_status: str | None = None
) -> ParcelEvent | None:
    query = select(ParcelEvent).where(
        ParcelEvent.parcel_id == parcel.id, ParcelEvent.status == status
    )
    if from_status is not None:
        query = query.where(ParcelEvent.from_status == from_status)
    return session.scalars(query.order_by(ParcelEvent.id.desc()).limit(1)).first()


def _facts(
    session: Session,
    parcel: Parcel,
    manifest: Manifest | None,
    now: datetime,
    carried: parcel_actions.Carried | None = None,
) -> parcel_actions.Facts:
    """What a refusal of the table may tell: the parcel's history, read when asked."""
    return parcel_actions.Facts(
        parcel=parcel,
        manifest=manifest,
        last_event=lambda status, from_status: _last_event(session, parcel, status, from_status),
        when_by=lambda event: _on_by(event, parcel, now),
        carried=carried,
    )


def parcel_facts(
    session: Session,
    parcel: Parcel,
    manifest: Manifest | None = None,
    *,
    now: datetime | None = None,
) -> parcel_actions.Facts:
    """What a refusal of the table may tell about the parcel (naming `manifest` for a
    load), for services that check a chain of actions before they make them."""
    return _facts(session, parcel, manifest, now or utcnow())


def load_refusal(
    session: Session, parcel: Parcel, manifest: Manifest, *, now: datetime | None = None
) -> LazyString | None:
    """Why the parcel may not be loaded onto the manifest now; None when it may."""
    facts = _facts(session, parcel, manifest, now or utcnow())
    return parcel_actions.refusal(ScanAction.LOAD, facts)


def _carried(session: Session, clean: _Clean) -> parcel_actions.Carried:
    """What the scan carries besides its code, the card and collector it names looked up."""
    return parcel_actions.Carried(
        proof=clean.proof.kind if clean.proof else None,
        card_text=clean.card,
        card=cards.find_card(session, clean.card) if clean.card else None,
        collector=(
            session.get(Collector, clean.collector_id) if clean.collector_id is not None else None
        ),
        collector_id=clean.collector_id,
    )


def _refusal(
    session: Session, parcel: Parcel, clean: _Clean, carried: parcel_actions.Carried, now: datetime
) -> tuple[LazyString | None, bool]:
    """Why the scan is refused, or None when the parcel's state allows it; and whether it
    is the household's card that was refused (everything else allowed the scan)."""
    facts = _facts(session, parcel, clean.manifest, now, carried)
    refusal = parcel_actions.refusal(clean.action, facts)
    card_refused = (
        refusal is not None
        and clean.action == ScanAction.DELIVER
        and not parcel_actions.CARD.met(parcel, carried)
        and parcel_actions.refusal(clean.action, replace(facts, carried=None)) is None
    )
    return refusal, card_refused


def recipient_kind(parcel: Parcel, clean: _Clean) -> str:
    """Who took a delivered parcel: a collector when the scan names one; the head when
    no other name was given (or the head's own); someone else otherwise."""
    if clean.collector_id is not None:
        return RecipientKind.COLLECTOR
    if not clean.recipient_name or name_key(clean.recipient_name) == parcel.household.name_key:
        return RecipientKind.HEAD
    return RecipientKind.OTHER


def allowed_actions(parcel: Parcel) -> list[str]:
    """The actions the parcel's state allows now, whoever asks (roles are checked by the
    caller with kitlog.security.SCAN_ACTION_PERMISSIONS)."""
    return parcel_actions.allowed(parcel)


# -- transitions ---------------------------------------------------------------------------


def change_status(
    session: Session,
    parcel: Parcel,
    status: str,
    *,
    user: User | None,
    now: datetime,
    note: str = "",
    lat: float | None = None,
    lon: float | None = None,
    scan: Scan | None = None,
) -> ParcelEvent:
    """Move the parcel to `status` and record the change as a ParcelEvent."""
    event = ParcelEvent(
        parcel=parcel,
        from_status=parcel.status,
        status=status,
        note=note,
        lat=lat,
        lon=lon,
        user=user,
        scan=scan,
        created_at=now,
    )
    session.add(event)
    parcel.record_status(status, now, scan.scanned_at if scan is not None else None)
    parcel.status = status
    parcel.updated_at = now
    return event


def return_to_stock(
    session: Session, parcels: list[Parcel], *, user: User | None, now: datetime
) -> list[StockMovement]:
    """Ledger `return` movements for the kits of these parcels (per batch and warehouse,
    naming the manifest they travelled on), under the batches' lock."""
    lock_batches(session, [line.batch_id for parcel in parcels for line in parcel.lines])
    totals: dict[tuple[int, int, int | None], int] = {}
    for parcel in parcels:
        for line in parcel.lines:
            key = (line.batch_id, parcel.round.warehouse_id, parcel.manifest_id)
            totals[key] = totals.get(key, 0) + line.kits
    movements = []
    for (batch_id, warehouse_id, manifest_id), kits in sorted(
        totals.items(), key=lambda item: (item[0][0], item[0][1], item[0][2] or 0)
    ):
        movement = StockMovement(
            batch_id=batch_id,
            warehouse_id=warehouse_id,
            kind=MovementKind.RETURN,
            quantity=kits,
            reason="",
            manifest_id=manifest_id,
            user=user,
            created_at=now,
        )
        session.add(movement)
        movements.append(movement)
    return movements


def _apply(
    session: Session, parcel: Parcel, clean: _Clean, scan: Scan, user: User | None, now: datetime
) -> None:
    _allowed, to_status = TRANSITIONS[clean.action]
    note = clean.note
    # The status change adds to the batches' kept figures: their rows are taken in the
    # same order as a dispatch or a return takes them (the batches first), so no two
    # transactions each hold a figure the other waits for.
    lock_batches(session, [line.batch_id for line in parcel.lines])
    if clean.action == ScanAction.LOAD:
        assert clean.manifest is not None  # noqa: S101
        parcel.manifest_id = clean.manifest.id
        parcel.manifest = clean.manifest
        note = clean.manifest.number
    elif clean.action == ScanAction.RETURN:
        return_to_stock(session, [parcel], user=user, now=now)
    elif clean.action == ScanAction.DELIVER and clean.proof is not None:
        proofs.store(session, parcel, scan, clean.proof)
    if clean.action == ScanAction.DELIVER:
        parcel.recipient_kind = scan.recipient_kind
    change_status(
        session,
        parcel,
        to_status,
        user=user,
        now=now,
        note=note,
        lat=clean.lat,
        lon=clean.lon,
        scan=scan,
    )


# -- the scan ------------------------------------------------------------------------------


def _existing(session: Session, key: str) -> Scan | None:
    return session.scalars(
        select(Scan).where(Scan.idempotency_key == key).execution_options(populate_existing=True)
    ).first()


def _duplicate(session: Session, first: Scan, clean: _Clean, parcel: Parcel | None) -> ScanResult:
    """The first answer again, with the parcel as it is now; 422 when the key was used
    for another code or action."""
    same_code = first.code == clean.code[:STORED_CODE] or (
        parcel is not None and first.parcel_id == parcel.id
    )
    if first.action != clean.action or not same_code:
        raise InvalidValues(
            [
                FieldError(
                    "idempotency_key",
                    _l(
                        "This key was already used for another scan (%(action)s of %(code)s):"
                        " give each scan its own key.",
                        action=SCAN_ACTION_IN_TEXT.get(first.action, first.action),
                        code=first.code[:60],
                    ),
                )
            ]
        )
    current = session.get(Parcel, first.parcel_id) if first.parcel_id is not None else None
    return ScanResult(DUPLICATE, first.status_code, first.detail, first, current)


def believable_device_time(scanned_at: datetime | None, now: datetime) -> datetime | None:
    """The phone's time of a scan, or None when its clock cannot be right: more than a year
    before the server received the scan or more than an hour after. A delivery time from a
    wrong clock would put the delivery in another year of the donor's report."""
    if scanned_at is None:
        return None
    received = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    if received - DEVICE_TIME_PAST <= scanned_at <= received + DEVICE_TIME_AHEAD:
        return scanned_at
    return None


def record_scan(
    session: Session, data: ScanInput, *, user: User, now: datetime | None = None
) -> ScanResult:
    """Apply one scan and record it (accepted or refused); a known idempotency key repeats
    the first answer with outcome "duplicate". Raises InvalidValues for bad input
    (unknown action, fail without a reason, a key reused with another code or action)."""
    clean = _clean(session, data)
    now = now or utcnow()
    scanned_at = believable_device_time(clean.scanned_at, now)
    if clean.manifest is not None:
        lock_manifest(session, clean.manifest)
    parcel: Parcel | None = None
    try:
        parcel = _lock_for_scan(session, parcel_condition(clean.code))
    except NotFound as error:
        not_found = str(error)
    else:
        not_found = "" if parcel is not None else str(not_a_parcel(clean.code))
    write_lock(session)
    # A key seen before is found by the unique index when the scan is inserted (below):
    # its first answer is repeated then, whatever this attempt would have answered.
    carried = _carried(session, clean)
    card_refused = False
    if parcel is None:
        outcome, status, detail = ScanOutcome.UNKNOWN, 404, not_found
    else:
        refusal, card_refused = _refusal(session, parcel, clean, carried, now)
        if refusal is None:
            outcome, status, detail = ScanOutcome.OK, 200, ""
        else:
            outcome, status, detail = ScanOutcome.REFUSED, 409, str(refusal)
    savepoint = session.begin_nested()
    try:
        scan = Scan(
            idempotency_key=clean.key,
            code=clean.code[:STORED_CODE],
            action=clean.action,
            parcel_id=parcel.id if parcel is not None else None,
            manifest_id=(
                clean.manifest.id
                if clean.manifest is not None
                else (parcel.manifest_id if parcel is not None else None)
            ),
            outcome=outcome,
            status_code=status,
            detail=detail,
            from_status=parcel.status if parcel is not None else None,
            to_status=TRANSITIONS[clean.action][1] if outcome == ScanOutcome.OK else None,
            reason=clean.reason,
            recipient_name=(
                carried.collector.name
                if carried.collector is not None and outcome == ScanOutcome.OK
                else clean.recipient_name
            ),
            recipient_relation=(
                carried.collector.relation
                if carried.collector is not None and outcome == ScanOutcome.OK
                else clean.recipient_relation
            ),
            recipient_kind=(
                recipient_kind(parcel, clean)
                if parcel is not None
                and outcome == ScanOutcome.OK
                and clean.action == ScanAction.DELIVER
                else None
            ),
            collector_id=carried.collector.id if carried.collector is not None else None,
            card_id=carried.card.id if carried.card is not None else None,
            note=clean.note,
            lat=clean.lat,
            lon=clean.lon,
            scanned_at=scanned_at,
            user=user,
            created_at=now,
        )
        session.add(scan)
        if outcome == ScanOutcome.OK:
            assert parcel is not None  # noqa: S101
            _apply(session, parcel, clean, scan, user, now)
        elif card_refused and clean.checked_offline and parcel is not None:
            # The phone handed the parcel over on the card it held offline; the server
            # does not confirm it: a person must find out who has the kit.
            parcel.flag = ParcelFlag.CARD_MISMATCH
            parcel.flagged_at = now
        session.flush()  # one flush: a known key fails it, and the savepoint undoes it all
        savepoint.commit()
    except IntegrityError:
        savepoint.rollback()
        first = _existing(session, clean.key)
        if first is None:
            raise
        return _duplicate(session, first, clean, parcel)
    return ScanResult(str(outcome), status, detail, scan, parcel)


__all__ = [
    "DUPLICATE",
    "TRANSITIONS",
    "ScanInput",
    "ScanResult",
    "allowed_actions",
    "change_status",
    "find_manifest",
    "load_refusal",
    "local_time",
    "lock_manifest",
    "lock_parcels",
    "record_scan",
    "return_to_stock",
]
