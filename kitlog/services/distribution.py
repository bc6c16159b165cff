"""Distribution rounds: plan, allocate parcels first-expiry-first-out, cancel, find.

A round draws on one or more donor batches of one kit type, in one warehouse. Allocating
gives every eligible household of the round's area one parcel of its entitlement, and
reserves the parcel's kits (reserved stock is derived from the parcels' lines: see
kitlog.services.stock.reserved_quantities). Allocation is all or nothing: when the
available kits do not cover every household, nothing is allocated (OutOfStock).

Rule 1 under concurrency: `allocate` locks the round row, then the batch rows
(kitlog.services.locking), and only then reads the stock and inserts, all in the
caller's transaction; the partial unique index uq_parcels_round_household_live keeps a
household from ever holding two live parcels of one round.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeGuard, TypeVar
from urllib.parse import unquote, urlsplit

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln
from sqlalchemy import (
    ColumnElement,
    Exists,
    Select,
    and_,
    exists,
    func,
    insert,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, contains_eager

from kitlog.models import (
    CLOSED_WITH_ROUND,
    PROOF_KINDS,
    ROUND_MODES,
    UNLOADED,
    VERIFICATIONS,
    DonorBatch,
    Household,
    HouseholdCard,
    HouseholdStatus,
    ManifestStatus,
    Parcel,
    ParcelEvent,
    ParcelLine,
    ParcelStatus,
    ProofKind,
    Round,
    RoundMode,
    RoundStatus,
    User,
    Verification,
    Warehouse,
    round_batches,
)
from kitlog.models.base import table_of, utcnow
from kitlog.models.distribution import MAX_ENTITLEMENT, MAX_MEMBERS_PER_KIT, MAX_ROUND_NAME
from kitlog.models.households import MAX_PLACE
from kitlog.names import PARCEL_STATUS_IN_TEXT, ROUND_STATUS_IN_TEXT, SKIP_REASON_NAMES
from kitlog.services import parcel_codes, places
from kitlog.services.errors import (
    Conflict,
    FieldError,
    InvalidValue,
    InvalidValues,
    NotFound,
    OutOfStock,
)
from kitlog.services.fields import spec, specs
from kitlog.services.locking import lock_batches, lock_row
from kitlog.services.stock import Kits, stock_levels
from kitlog.text import squeeze

MAX_REASON = 500
CHUNK = 1000  # rows per IN (...) list or per bulk INSERT
# The tables the bulk INSERTs write to.
_PARCELS = table_of(Parcel)
_PARCEL_LINES = table_of(ParcelLine)
_PARCEL_EVENTS = table_of(ParcelEvent)

CANCELLABLE = (ParcelStatus.ALLOCATED, ParcelStatus.PACKED, ParcelStatus.RETURNED)
# Parcels whose kits have left the shelf, or are about to: a round cannot close over them.
BLOCKING_CLOSE = (ParcelStatus.PACKED, ParcelStatus.DISPATCHED, ParcelStatus.FAILED)
CANCELLED_BY_CLOSING = (ParcelStatus.ALLOCATED, ParcelStatus.RETURNED)
VULNERABILITY_COLUMNS = (
    Household.elderly,
    Household.disability,
    Household.pregnant,
    Household.under5,
)

# -- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Skip:
    """A household a round does not allocate to, and why (a code of names.SKIP_REASON_NAMES)."""

    household: Household
    reason: str

    @property
    def message(self) -> LazyString:
        return SKIP_REASON_NAMES[self.reason]


@dataclass(frozen=True)
class BatchAvailability:
    """One of a round's batches in the round's warehouse: kits available, and whether it
    expired (an expired batch is not allocated from)."""

    batch: DonorBatch
    available: int
    expired: bool


@dataclass
class AllocationPlan:
    """What allocating now would do: who gets how many kits, who is skipped and why."""

    households: list[tuple[Household, int]]
    skipped: list[Skip]
    kits_needed: int
    kits_available: int
    batches: list[BatchAvailability]

    @property
    def short(self) -> bool:
        return self.kits_needed > self.kits_available


@dataclass
class AllocationResult:
    """What `allocate` did: parcels inserted (in bulk: their ids), kits reserved, skips."""

    allocated: int
    kits: int
    skipped: list[Skip]
    parcel_ids: list[int] = field(default_factory=list)


# -- rounds --------------------------------------------------------------------------------


class _Keep:
    """A keyword left out of update_round: the round keeps its value."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()

_T = TypeVar("_T")


def _kept(value: _T | _Keep, current: _T) -> _T:
    return current if isinstance(value, _Keep) else value


@dataclass
class RoundValues:
    """A round's values, checked and ready to store: the one list of a round's fields.

    The batches, warehouse, entitlement and area shape the allocation: they change only
    while the round is a draft (`draft_only`)."""

    name: str = spec(max_length=MAX_ROUND_NAME)
    batches: list[DonorBatch] = spec(draft_only=True)
    warehouse: Warehouse = spec(draft_only=True)
    entitlement: int = spec(draft_only=True)
    members_per_kit: int | None = spec(draft_only=True)
    province: str | None = spec(draft_only=True)
    regency: str | None = spec(max_length=MAX_PLACE, draft_only=True)
    province_code: str | None = spec(draft_only=True)
    regency_code: str | None = spec(draft_only=True)
    vulnerable_first: bool = spec()
    show_head_name: bool = spec()
    start_date: date | None = spec()
    end_date: date | None = spec()
    proof: str = spec()  # what each delivery must carry: none, signature or photo
    # Like the proof, these may change while the round is open: a round that turns to
    # cards says on its page how many of its households have none yet.
    verification: str = spec()  # none, or card: the household's card besides the label
    mode: str = spec()  # door, or site: households collect at the round's sites


ROUND_FIELDS = specs(RoundValues)
# Values that shape the allocation: fixed once the round is open.
DRAFT_ONLY = tuple(name for name, field in ROUND_FIELDS if field.draft_only)


def _whole(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _clean_round(
    *,
    name: str | None,
    batches: Iterable[DonorBatch] | None,
    warehouse: Warehouse | None,
    entitlement: int | None,
    members_per_kit: int | None,
    province: str | None,
    regency: str | None,
    province_code: str | None,
    regency_code: str | None,
    vulnerable_first: bool | None,
    show_head_name: bool | None,
    start_date: date | None,
    end_date: date | None,
    proof: str | None,
    verification: str | None,
    mode: str | None,
) -> RoundValues:
    """Every value checked; raises InvalidValues listing every bad one."""
    errors: list[FieldError] = []
    name = squeeze(name or "")
    if not name:
        errors.append(FieldError("name", _l("Give the round a name.")))
    elif len(name) > MAX_ROUND_NAME:
        errors.append(FieldError("name", _l("Keep this under %(n)s characters.", n=MAX_ROUND_NAME)))
    batches = list(dict.fromkeys(batches or []))  # each batch once, in the order given
    if not batches:
        errors.append(FieldError("batches", _l("Choose at least one donor batch.")))
    elif len({b.kit_type_id for b in batches}) > 1:
        errors.append(
            FieldError("batches", _l("All the batches of a round must be of one kit type."))
        )
    if warehouse is None:
        errors.append(FieldError("warehouse", _l("Choose the warehouse the parcels leave from.")))
    if not _whole(entitlement) or not 1 <= entitlement <= MAX_ENTITLEMENT:
        errors.append(
            FieldError(
                "entitlement",
                _l("Give from 1 to %(n)s kits per household.", n=MAX_ENTITLEMENT),
            )
        )
    if members_per_kit is not None and (
        not _whole(members_per_kit) or not 1 <= members_per_kit <= MAX_MEMBERS_PER_KIT
    ):
        errors.append(
            FieldError(
                "members_per_kit",
                _l(
                    "Give from 1 to %(n)s people per kit, or leave it empty for a fixed"
                    " entitlement.",
                    n=MAX_MEMBERS_PER_KIT,
                ),
            )
        )
    area = None
    try:  # the area: an official province or regency, by code or by name
        area = places.resolve(
            {"province": province, "regency": regency, "code": regency_code or province_code},
            deepest="regency",
            required="",
            code_field="code",
        )
    except InvalidValues as bad:
        errors.extend(bad.errors)
    area_columns = area.columns() if area else {}
    if start_date is not None and end_date is not None and end_date < start_date:
        errors.append(FieldError("end_date", _l("The round cannot end before it starts.")))
    proof = proof or ProofKind.NONE
    if proof not in PROOF_KINDS:
        errors.append(
            FieldError(
                "proof",
                _l("Choose one of the proofs %(kinds)s.", kinds=", ".join(PROOF_KINDS)),
            )
        )
    verification = verification or Verification.NONE
    if verification not in VERIFICATIONS:
        errors.append(
            FieldError(
                "verification",
                _l(
                    "Choose one of the verifications %(choices)s.",
                    choices=", ".join(VERIFICATIONS),
                ),
            )
        )
    mode = mode or RoundMode.DOOR
    if mode not in ROUND_MODES:
        errors.append(
            FieldError(
                "mode", _l("Choose one of the modes %(choices)s.", choices=", ".join(ROUND_MODES))
            )
        )
    if errors:
        raise InvalidValues(errors)
    assert warehouse is not None and entitlement is not None  # noqa: S101 - refused above
    return RoundValues(
        name=name,
        batches=sorted(batches, key=lambda b: b.id),
        warehouse=warehouse,
        entitlement=entitlement,
        members_per_kit=members_per_kit,
        province=area_columns.get("province"),
        regency=area_columns.get("regency"),
        province_code=area_columns.get("province_code"),
        regency_code=area_columns.get("regency_code"),
        vulnerable_first=bool(vulnerable_first),
        show_head_name=bool(show_head_name),
        start_date=start_date,
        end_date=end_date,
        proof=str(proof),
        verification=str(verification),
        mode=str(mode),
    )


def create_round(
    session: Session,
    *,
    name: str,
    batches: list[DonorBatch],
    warehouse: Warehouse,
    entitlement: int,
    members_per_kit: int | None = None,
    province: str | None = None,
    regency: str | None = None,
    province_code: str | None = None,
    regency_code: str | None = None,
    vulnerable_first: bool = False,
    show_head_name: bool = False,
    start_date: date | None = None,
    end_date: date | None = None,
    proof: str = ProofKind.NONE,
    verification: str = Verification.NONE,
    mode: str = RoundMode.DOOR,
    user: User | None,
    now: datetime | None = None,
) -> Round:
    """Plan a round, as a draft: batches of one kit type, a warehouse, an entitlement;
    its area (none: everyone) by official code (the regency's or the province's) or by
    names."""
    values = _clean_round(
        name=name,
        batches=batches,
        warehouse=warehouse,
        entitlement=entitlement,
        members_per_kit=members_per_kit,
        province=province,
        regency=regency,
        province_code=province_code,
        regency_code=regency_code,
        vulnerable_first=vulnerable_first,
        show_head_name=show_head_name,
        start_date=start_date,
        end_date=end_date,
        proof=proof,
        verification=verification,
        mode=mode,
    )
    round_ = Round(
        **values.__dict__,
        status=RoundStatus.DRAFT,
        created_by=user,
        created_at=now or utcnow(),
    )
    session.add(round_)
    session.flush()
    return round_


def update_round(
    session: Session,
    round: Round,  # noqa: A002 - the domain's word
    *,
    name: str | None | _Keep = KEEP,
    batches: Iterable[DonorBatch] | _Keep = KEEP,
    warehouse: Warehouse | None | _Keep = KEEP,
    entitlement: int | None | _Keep = KEEP,
    members_per_kit: int | None | _Keep = KEEP,
    province: str | None | _Keep = KEEP,
    regency: str | None | _Keep = KEEP,
    province_code: str | None | _Keep = KEEP,
    regency_code: str | None | _Keep = KEEP,
    vulnerable_first: bool | None | _Keep = KEEP,
    show_head_name: bool | None | _Keep = KEEP,
    start_date: date | None | _Keep = KEEP,
    end_date: date | None | _Keep = KEEP,
    proof: str | None | _Keep = KEEP,
    verification: str | None | _Keep = KEEP,
    mode: str | None | _Keep = KEEP,
    user: User | None,
    now: datetime | None = None,
) -> Round:
    """Correct a round. Its name, dates, flags, proof, verification and mode may change
    while draft or open; its batches, warehouse, entitlement and area only while draft.
    A keyword left out keeps the round's value."""
    if round.status == RoundStatus.CLOSED:
        raise Conflict(_l("This round is closed: it can no longer change."))
    # New names are matched again (the old codes go); a new code replaces the names.
    names_kept = isinstance(province, _Keep) and isinstance(regency, _Keep)
    codes_kept = isinstance(province_code, _Keep) and isinstance(regency_code, _Keep)
    if codes_kept:
        province_code = round.province_code if names_kept else None
        regency_code = round.regency_code if names_kept else None
    elif names_kept:
        province = regency = None
    values = _clean_round(
        name=_kept(name, round.name),
        batches=list(_kept(batches, round.batches)),
        warehouse=_kept(warehouse, round.warehouse),
        entitlement=_kept(entitlement, round.entitlement),
        members_per_kit=_kept(members_per_kit, round.members_per_kit),
        province=_kept(province, round.province),
        regency=_kept(regency, round.regency),
        province_code=_kept(province_code, None),
        regency_code=_kept(regency_code, None),
        vulnerable_first=_kept(vulnerable_first, round.vulnerable_first),
        show_head_name=_kept(show_head_name, round.show_head_name),
        start_date=_kept(start_date, round.start_date),
        end_date=_kept(end_date, round.end_date),
        proof=_kept(proof, round.proof),
        verification=_kept(verification, round.verification),
        mode=_kept(mode, round.mode),
    )
    if round.status != RoundStatus.DRAFT:
        changed = [
            key
            for key in DRAFT_ONLY
            if _compared(getattr(round, key)) != _compared(getattr(values, key))
        ]
        if changed:
            raise Conflict(
                _l(
                    "This round is open: its batches, warehouse, entitlement and area can"
                    " no longer change."
                ),
                field=changed[0],
            )
    for key, value in values.__dict__.items():
        setattr(round, key, value)
    session.flush()
    return round


def _compared(value: object) -> object:
    """A value as update_round compares it: rows by id, a list of rows by sorted ids."""
    if isinstance(value, list):
        return sorted(row.id for row in value)
    return value.id if isinstance(value, Warehouse) else value


def _lock_round(session: Session, round_: Round) -> Round:
    """Serialise writers of this round until the transaction ends, and read it afresh."""
    return lock_row(session, round_)


def open_round(
    session: Session,
    round: Round,  # noqa: A002
    *,
    user: User | None,
    now: datetime | None = None,
) -> Round:
    """draft → open."""
    round = _lock_round(session, round)  # noqa: A001
    if round.status != RoundStatus.DRAFT:
        raise Conflict(
            _l(
                "Only a draft round can be opened; this one is %(status)s.",
                status=ROUND_STATUS_IN_TEXT[round.status],
            )
        )
    round.status = RoundStatus.OPEN
    round.opened_at = now or utcnow()
    session.flush()
    return round


def close_round(
    session: Session,
    round: Round,  # noqa: A002
    *,
    user: User | None,
    now: datetime | None = None,
) -> Round:
    """open → closed. Refused while parcels are packed, on the road or failed; parcels
    still only allocated (or returned) are cancelled, and their kits released."""
    round = _lock_round(session, round)  # noqa: A001
    if round.status != RoundStatus.OPEN:
        raise Conflict(
            _l(
                "Only an open round can be closed; this one is %(status)s.",
                status=ROUND_STATUS_IN_TEXT[round.status],
            )
        )
    blocking = session.scalar(
        select(func.count())
        .select_from(Parcel)
        .where(Parcel.round_id == round.id, Parcel.status.in_([s.value for s in BLOCKING_CLOSE]))
    )
    if blocking:
        raise Conflict(
            _ln(
                "%(num)s parcel of this round is packed, on the road or failed: deliver,"
                " return or cancel it before closing the round.",
                "%(num)s parcels of this round are packed, on the road or failed: deliver,"
                " return or cancel them before closing the round.",
                blocking,
            )
        )
    now = now or utcnow()
    to_cancel = session.execute(
        select(Parcel.id, Parcel.status).where(
            Parcel.round_id == round.id,
            Parcel.status.in_([s.value for s in CANCELLED_BY_CLOSING]),
        )
    ).all()
    _set_status(
        session,
        [(pid, status) for pid, status in to_cancel],
        ParcelStatus.CANCELLED,
        note=CLOSED_WITH_ROUND,
        user=user,
        now=now,
    )
    round.status = RoundStatus.CLOSED
    round.closed_at = now
    session.flush()
    return round


def _set_status(
    session: Session,
    parcels: list[tuple[int, str]],
    status: str,
    *,
    note: str,
    user: User | None,
    now: datetime,
) -> None:
    """Move many parcels to `status` in bulk, with one event each."""
    for start in range(0, len(parcels), CHUNK):
        chunk = parcels[start : start + CHUNK]
        session.execute(
            update(Parcel)
            .where(Parcel.id.in_([pid for pid, _ in chunk]))
            .values(status=status, updated_at=now)
            .execution_options(synchronize_session="fetch")
        )
        session.execute(
            insert(_PARCEL_EVENTS),
            [
                {
                    "parcel_id": pid,
                    "from_status": old,
                    "status": status,
                    "note": note,
                    "user_id": user.id if user is not None else None,
                    "created_at": now,
                }
                for pid, old in chunk
            ],
        )


# -- eligibility and the plan ----------------------------------------------------------------


def _vulnerability_count(household: Household) -> int:
    return len(household.vulnerabilities)


def _allocation_order(household: Household) -> tuple[int, str]:
    """Vulnerable households first (more flags first), then by household code."""
    return (-_vulnerability_count(household), household.code)


def _in_area(round_: Round, household: Household) -> bool:
    if round_.regency_code:
        return household.regency_code == round_.regency_code
    if round_.province_code:
        return household.province_code == round_.province_code
    return _in_named_area(round_, household)


def _in_named_area(round_: Round, household: Household) -> bool:
    """A round from before kitlog knew codes, whose area matched no official place."""
    if round_.province and household.province != round_.province:
        return False
    return not (round_.regency and household.regency != round_.regency)


def _area_conditions(round_: Round) -> list[ColumnElement[bool]]:
    if round_.regency_code:
        return [Household.regency_code == round_.regency_code]
    if round_.province_code:
        return [Household.province_code == round_.province_code]
    conditions: list[ColumnElement[bool]] = []
    if round_.province:
        conditions.append(Household.province == round_.province)
    if round_.regency:
        conditions.append(Household.regency == round_.regency)
    return conditions


def _live_parcel_exists(round_id: int) -> Exists:
    return exists().where(
        Parcel.round_id == round_id,
        Parcel.household_id == Household.id,
        Parcel.status != ParcelStatus.CANCELLED,
    )


def _why_not(round_: Round, household: Household) -> str | None:
    """The reason code a household is not eligible in this round, or None."""
    if household.status != HouseholdStatus.ACTIVE:
        return "inactive"
    if not household.consent:
        return "no_consent"
    if round_.vulnerable_first and not household.vulnerable:
        return "not_vulnerable"
    return None


def _households_named(session: Session, codes: list[str]) -> list[Household]:
    """The households these codes name; InvalidValues listing every unknown code."""
    wanted = list(dict.fromkeys(code.strip().upper() for code in codes))
    found: dict[str, Household] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        for household in session.scalars(select(Household).where(Household.code.in_(chunk))):
            found[household.code] = household
    unknown = [code for code in wanted if code not in found]
    if unknown:
        raise InvalidValues(
            [
                FieldError(
                    "households",
                    _l("There is no household with the code %(code)s.", code=code[:40]),
                )
                for code in unknown
            ]
        )
    return [found[code] for code in wanted]


def _live_household_ids(session: Session, round_id: int) -> set[int]:
    return set(
        session.scalars(
            select(Parcel.household_id).where(
                Parcel.round_id == round_id, Parcel.status != ParcelStatus.CANCELLED
            )
        )
    )


def _round_batches(session: Session, round_: Round) -> list[DonorBatch]:
    """The round's batches, read from the database (not a cached relationship)."""
    return list(
        session.scalars(
            select(DonorBatch)
            .join(round_batches, round_batches.c.batch_id == DonorBatch.id)
            .where(round_batches.c.round_id == round_.id)
        )
    )


def _fefo_key(batch: DonorBatch) -> tuple[bool, date, date, int]:
    """First expiry first out: earliest expiry (none last), then received, then id."""
    return (
        batch.expiry_date is None,
        batch.expiry_date or date.max,
        batch.received_date,
        batch.id,
    )


def batch_availability(session: Session, round: Round, *, today: date) -> list[BatchAvailability]:  # noqa: A002
    """The round's batches in the round's warehouse, in FEFO order."""
    levels = {
        level.batch_id: level.available
        for level in stock_levels(session, warehouse_id=round.warehouse_id)
    }
    return [
        BatchAvailability(
            batch=batch,
            available=max(levels.get(batch.id, 0), 0),
            expired=batch.expiry_date is not None and batch.expiry_date < today,
        )
        for batch in sorted(_round_batches(session, round), key=_fefo_key)
    ]


def plan_allocation(
    session: Session,
    round: Round,  # noqa: A002
    *,
    household_codes: list[str] | None = None,
    today: date,
) -> AllocationPlan:
    """Who would get how many kits if the round allocated now, who would not and why,
    and whether the stock covers it. Changes nothing."""
    live = _live_household_ids(session, round.id)
    skipped: list[Skip] = []
    candidates: Iterable[Household]
    if household_codes is None:
        candidates = session.scalars(
            select(Household).where(*_area_conditions(round)).order_by(Household.code)
        )
    else:
        candidates = _households_named(session, household_codes)
    chosen: list[Household] = []
    for household in candidates:
        if household.id in live:
            # Named households hear why they got nothing; over a whole area, households
            # served earlier are not "skipped" (a re-run would list every one of them).
            if household_codes is not None:
                skipped.append(Skip(household, "already_allocated"))
            continue
        if household_codes is not None and not _in_area(round, household):
            skipped.append(Skip(household, "outside_area"))
            continue
        reason = _why_not(round, household)
        if reason is not None:
            skipped.append(Skip(household, reason))
            continue
        chosen.append(household)
    chosen.sort(key=_allocation_order)
    households = [(h, round.kits_for(h.members)) for h in chosen]
    batches = batch_availability(session, round, today=today)
    return AllocationPlan(
        households=households,
        skipped=skipped,
        kits_needed=sum(kits for _h, kits in households),
        kits_available=sum(b.available for b in batches if not b.expired),
        batches=batches,
    )


# -- allocation ------------------------------------------------------------------------------


def _fresh_short_codes(session: Session, count: int) -> list[str]:
    """`count` new short codes, unlike each other and every stored one."""
    codes: set[str] = set()
    while len(codes) < count:
        draw = {parcel_codes.new_short_code() for _ in range(count - len(codes))} - codes
        taken: set[str] = set()
        batch = list(draw)
        for start in range(0, len(batch), CHUNK):
            taken.update(
                session.scalars(
                    select(Parcel.short_code).where(
                        Parcel.short_code.in_(batch[start : start + CHUNK])
                    )
                )
            )
        codes |= draw - taken
    return list(codes)


def _fefo_lines(
    households: list[tuple[Household, int]], batches: list[BatchAvailability]
) -> list[list[tuple[int, int]]]:
    """For each household in order, its (batch id, kits) lines, first expiry first out."""
    left = [[b.batch.id, b.available] for b in batches if not b.expired and b.available > 0]
    position = 0
    lines: list[list[tuple[int, int]]] = []
    for _household, kits in households:
        parcel_lines: list[tuple[int, int]] = []
        while kits:
            batch_id, available = left[position]
            take = min(kits, available)
            parcel_lines.append((batch_id, take))
            kits -= take
            left[position][1] -= take
            if left[position][1] == 0:
                position += 1
        lines.append(parcel_lines)
    return lines


def allocate(
    session: Session,
    round: Round,  # noqa: A002
    *,
    household_codes: list[str] | None = None,
    user: User | None,
    now: datetime | None = None,
    today: date | None = None,
) -> AllocationResult:
    """Give every eligible household (or those named) one parcel of its entitlement,
    reserving kits first-expiry-first-out; all or nothing (OutOfStock when short)."""
    if round.status == RoundStatus.CLOSED:
        raise Conflict(_l("This round is closed: it allocates no more parcels."))
    round = _lock_round(session, round)  # noqa: A001
    if round.status == RoundStatus.CLOSED:  # closed while this request waited
        raise Conflict(_l("This round is closed: it allocates no more parcels."))
    lock_batches(session, _round_batch_ids(session, round.id))
    now = now or utcnow()
    plan = plan_allocation(
        session, round, household_codes=household_codes, today=today or now.date()
    )
    if plan.short:
        raise OutOfStock(
            _l(
                "Not enough kits for this round: %(requested)s kits needed,"
                " %(available)s available.",
                requested=Kits(plan.kits_needed),
                available=Kits(plan.kits_available),
            ),
            requested=plan.kits_needed,
            available=plan.kits_available,
        )
    if not plan.households:
        return AllocationResult(allocated=0, kits=0, skipped=plan.skipped)
    lines = _fefo_lines(plan.households, plan.batches)
    short_codes = _fresh_short_codes(session, len(plan.households))
    user_id = user.id if user is not None else None
    parcel_ids: list[int] = []
    for start in range(0, len(plan.households), CHUNK):
        chunk = plan.households[start : start + CHUNK]
        tokens = [parcel_codes.new_token() for _ in chunk]
        rows = [
            {
                "round_id": round.id,
                "household_id": household.id,
                "kits": kits,
                "status": ParcelStatus.ALLOCATED.value,
                "token": tokens[i],
                "short_code": short_codes[start + i],
                "created_by_id": user_id,
                "created_at": now,
                "updated_at": now,
            }
            for i, (household, kits) in enumerate(chunk)
        ]
        # Core inserts, in batches. RETURNING the token too: a batched INSERT does not
        # promise its rows come back in order (asking for it makes SQLite go row by row).
        id_of = dict(
            session.execute(insert(_PARCELS).returning(Parcel.token, Parcel.id), rows).all()
        )
        ids = [id_of[token] for token in tokens]
        parcel_ids.extend(ids)
        session.execute(
            insert(_PARCEL_LINES),
            [
                {"parcel_id": pid, "batch_id": batch_id, "kits": kits}
                for pid, parcel_lines in zip(ids, lines[start : start + CHUNK], strict=True)
                for batch_id, kits in parcel_lines
            ],
        )
        session.execute(
            insert(_PARCEL_EVENTS),
            [
                {
                    "parcel_id": pid,
                    "from_status": None,
                    "status": ParcelStatus.ALLOCATED.value,
                    "note": "",
                    "user_id": user_id,
                    "created_at": now,
                }
                for pid in ids
            ],
        )
    session.flush()
    return AllocationResult(
        allocated=len(parcel_ids),
        kits=plan.kits_needed,
        skipped=plan.skipped,
        parcel_ids=parcel_ids,
    )


def _round_batch_ids(session: Session, round_id: int) -> list[int]:
    return list(
        session.scalars(
            select(round_batches.c.batch_id).where(round_batches.c.round_id == round_id)
        )
    )


# -- parcels ---------------------------------------------------------------------------------


def cancel_parcel(
    session: Session,
    parcel: Parcel,
    *,
    user: User | None,
    reason: str = "",
    now: datetime | None = None,
) -> Parcel:
    """Cancel a parcel that has not left the warehouse; its kits are no longer reserved."""
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise InvalidValue(
            _l("Keep the reason under %(n)s characters.", n=MAX_REASON), field="reason"
        )
    if parcel.manifest is not None:
        lock_row(session, parcel.manifest)  # as dispatch does, before the parcel
    parcel = lock_row(session, parcel)
    if parcel.status not in CANCELLABLE:
        raise Conflict(
            _l(
                "This parcel is %(status)s: only an allocated, packed or returned parcel"
                " can be cancelled.",
                status=PARCEL_STATUS_IN_TEXT.get(parcel.status, parcel.status),
            )
        )
    now = now or utcnow()
    session.add(
        ParcelEvent(
            parcel=parcel,
            from_status=parcel.status,
            status=ParcelStatus.CANCELLED,
            note=reason,
            user=user,
            created_at=now,
        )
    )
    parcel.status = ParcelStatus.CANCELLED
    parcel.updated_at = now
    trip = parcel.manifest
    if trip is not None and trip.status == ManifestStatus.OPEN:
        # a cancelled parcel does not travel: it comes off the truck it was loaded on
        parcel.manifest_id = None
        parcel.manifest = None
        session.add(
            ParcelEvent(
                parcel=parcel,
                from_status=ParcelStatus.CANCELLED,
                status=ParcelStatus.CANCELLED,
                note=UNLOADED + trip.number,
                user=user,
                created_at=now,
            )
        )
    session.flush()
    return parcel


_TOKEN = re.compile(r"[A-Z2-7]{16}\Z")


def token_of(text: str, segment: str = "p") -> str | None:
    """The token a scanned QR URL (or a bare token) holds: `<BASE_URL>/<segment>/<token>`,
    `p` for a parcel's label, `h` for a household's card."""
    if "/" in text or "%" in text:
        for _ in range(3):  # a URL percent-encoded into a path segment, maybe twice
            if "%" not in text:
                break
            text = unquote(text)
        path = urlsplit(text).path if "://" in text else text.split("?")[0].split("#")[0]
        parts = [p for p in path.split("/") if p]
        if len(parts) >= 2 and parts[-2] == segment:
            text = parts[-1]
        else:
            return None
    text = text.strip().upper()
    return text if _TOKEN.match(text) else None


def parcel_condition(code: str) -> ColumnElement[bool]:
    """The WHERE clause that finds the parcel a short code (any case, with or without
    hyphens), a token, or a whole QR URL names; NotFound when the code cannot name one,
    saying when a short code has a typo."""
    text = (code or "").strip()[:2000]
    if parcel_codes.looks_like_short_code(text):
        short = parcel_codes.normalise_short_code(text)
        if short is None:
            raise NotFound(
                _l(
                    "The code %(code)s has a typo: check each character against the label.",
                    code=parcel_codes.format_short_code(parcel_codes.clean_symbols(text)),
                )
            )
        return Parcel.short_code == short
    token = token_of(text)
    if token is None:
        raise not_a_parcel(code)
    return Parcel.token == token


def not_a_parcel(code: str) -> NotFound:
    return NotFound(_l("No parcel has the code %(code)s.", code=(code or "").strip()[:60]))


def find_parcel(session: Session, code: str) -> Parcel:
    """The parcel a short code, a token or a whole QR URL names (parcel_condition);
    NotFound otherwise."""
    parcel = session.scalars(select(Parcel).where(parcel_condition(code))).first()
    if parcel is None:
        raise not_a_parcel(code)
    return parcel


def round_counts(session: Session, round_ids: list[int]) -> dict[int, dict[str, int]]:
    """Parcels per status of each round (every status, zero-filled), and `total`: the
    parcels that are not cancelled."""
    counts = {rid: {status.value: 0 for status in ParcelStatus} for rid in round_ids}
    if round_ids:
        for rid, status, n in session.execute(
            select(Parcel.round_id, Parcel.status, func.count())
            .where(Parcel.round_id.in_(round_ids))
            .group_by(Parcel.round_id, Parcel.status)
        ):
            counts[rid][status] = n
    for values in counts.values():
        values["total"] = sum(n for s, n in values.items() if s != ParcelStatus.CANCELLED)
    return counts


def households_without_card(session: Session, round_: Round) -> int:
    """Households still owed a parcel of the round (neither delivered nor cancelled) that
    hold no current card: under `card` verification their delivery is refused until one
    is issued, so the round page says how many there are."""
    current_card = exists().where(
        HouseholdCard.household_id == Parcel.household_id, HouseholdCard.replaced_at.is_(None)
    )
    return int(
        session.scalar(
            select(func.count(func.distinct(Parcel.household_id))).where(
                Parcel.round_id == round_.id,
                Parcel.status.not_in((ParcelStatus.DELIVERED, ParcelStatus.CANCELLED)),
                ~current_card,
            )
        )
        or 0
    )


# What each progress bar of a round counts: the parcels that have come at least that far.
# A failed parcel is still on the road; a returned one is back on the shelf, unpacked.
PROGRESS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        ParcelStatus.PACKED.value,
        (ParcelStatus.PACKED, ParcelStatus.DISPATCHED, ParcelStatus.FAILED, ParcelStatus.DELIVERED),
    ),
    (
        ParcelStatus.DISPATCHED.value,
        (ParcelStatus.DISPATCHED, ParcelStatus.FAILED, ParcelStatus.DELIVERED),
    ),
    (ParcelStatus.DELIVERED.value, (ParcelStatus.DELIVERED,)),
)


@dataclass(frozen=True)
class RoundProgress:
    """A round's progress bars: of its parcels that are not cancelled (`live`), how many
    are packed or beyond, dispatched or beyond, and delivered (`bars`, in that order)."""

    live: int
    bars: tuple[tuple[str, int], ...]


def round_progress(counts: Mapping[str, int]) -> RoundProgress:
    """The progress bars of a round's counts (as round_counts gives them)."""
    return RoundProgress(
        live=counts["total"],
        bars=tuple(
            (bar, sum(counts.get(status, 0) for status in statuses)) for bar, statuses in PROGRESS
        ),
    )


def skipped_households(
    session: Session,
    round: Round,  # noqa: A002
    *,
    limit: int | None = None,
) -> tuple[list[Skip], int]:
    """Households of the round's area that have no live parcel because they are not
    eligible (inactive, no consent, not vulnerable in a vulnerable-first round), and why;
    with their total count. Eligible households not yet allocated are not listed."""
    ineligible = [Household.status != HouseholdStatus.ACTIVE, not_(Household.consent)]
    if round.vulnerable_first:
        ineligible.append(and_(*[not_(column) for column in VULNERABILITY_COLUMNS]))
    query = select(Household).where(
        *_area_conditions(round), ~_live_parcel_exists(round.id), or_(*ineligible)
    )
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    query = query.order_by(Household.code)
    if limit is not None:
        query = query.limit(limit)
    skips = []
    for household in session.scalars(query):
        reason = _why_not(round, household)
        if reason is not None:
            skips.append(Skip(household, reason))
    return skips, int(total or 0)


def parcels_query(
    round_id: int | None = None,
    *,
    statuses: list[str] | None = None,
    village: str | None = None,
) -> Select[Parcel]:
    """The parcels of a round (or all), by status and village, in household-code order."""
    query = (
        select(Parcel)
        .join(Household, Household.id == Parcel.household_id)
        .options(contains_eager(Parcel.household))  # every row shows its household
    )
    if round_id is not None:
        query = query.where(Parcel.round_id == round_id)
    if statuses:
        query = query.where(Parcel.status.in_(statuses))
    if village:
        query = query.where(Household.village == village)
    return query.order_by(Household.code, Parcel.id)


__all__ = [
    "AllocationPlan",
    "AllocationResult",
    "BatchAvailability",
    "PROGRESS",
    "RoundProgress",
    "Skip",
    "allocate",
    "batch_availability",
    "cancel_parcel",
    "close_round",
    "create_round",
    "find_parcel",
    "not_a_parcel",
    "parcel_condition",
    "open_round",
    "parcels_query",
    "plan_allocation",
    "round_counts",
    "round_progress",
    "skipped_households",
    "update_round",
]
