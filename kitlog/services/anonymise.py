"""The end of a programme: households lose their names, NIK, phone and GPS (UU 27/2022),
while the donor reports and the ledger stay exactly as they were.

Which households (one rule, two ways to name them):

- never a household with a parcel still in progress (allocated, packed, dispatched,
  failed or returned): its kits may yet reach its door, and the officer needs its name;
- `round_id`: households with a parcel in that round and no parcel (other than a
  cancelled one) in any other round;
- `before`: households registered before that day (in the deployment's time zone) and
  with no parcel (other than a cancelled one) allocated on or after it.

What goes: the head's and the worker's names (become "—"), the NIK (becomes
`ANON` + the household's id on 12 digits: 16 characters, unique, never a NIK, as the
column's constraints demand), the phone (empty); on those households' parcels, the GPS
of every status change and every scan, and the recipients' names, relations and notes
on the scans (and the notes scans copied onto status changes), and the proofs of
delivery (a signature or a photo of the person who took the parcel); the names, NIK and
phones of the collectors those households named (a collector's relation stays, and
which deliveries a collector took); the words of their feedback and complaints, of the
answers given, and of their post-distribution monitoring comments (each entry's
category, status and dates stay, which the donor report counts). What stays: the area
(province to village), members, vulnerability flags and consent, which the donor report
aggregates; parcels, their statuses and the ledger.

With `before`, household imports uploaded before that day also lose the file they kept
and their per-row error list (which names rows of people who were never registered); an
import still waiting for confirmation is cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, and_, delete, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from kitlog.models import (
    Collector,
    DeliveryProof,
    Feedback,
    FeedbackEvent,
    Household,
    HouseholdImport,
    ImportStatus,
    Parcel,
    ParcelEvent,
    ParcelStatus,
    PdmResponse,
    Round,
    Scan,
)
from kitlog.services import audit
from kitlog.services.errors import InvalidValue, NotFound
from kitlog.services.households import name_key

PLACEHOLDER_NAME = "—"
NIK_MARKER = "ANON"
IN_PROGRESS = (
    ParcelStatus.ALLOCATED,
    ParcelStatus.PACKED,
    ParcelStatus.DISPATCHED,
    ParcelStatus.FAILED,
    ParcelStatus.RETURNED,
)
CHUNK = 500


@dataclass(frozen=True)
class AnonymiseResult:
    households: int  # anonymised now (not counting those already anonymised)
    selected: int  # every household the rule names, anonymised before or now
    imports: int = 0  # import jobs whose kept file or row errors were cleared now


def anonymous_nik(household_id: int) -> str:
    """16 characters, unique per household, and never a NIK (which is 16 digits)."""
    return f"{NIK_MARKER}{household_id:012d}"


def _day_start(before: date, timezone: str) -> datetime:
    return datetime.combine(before, time.min, tzinfo=ZoneInfo(timezone))


def _clear_imports(session: Session, before: date, timezone: str) -> int:
    """Old import jobs keep no file and no row errors; one still waiting is cancelled.
    A job being checked or imported right now is left to finish."""
    old = (
        HouseholdImport.created_at < _day_start(before, timezone),
        HouseholdImport.status.not_in((ImportStatus.VALIDATING, ImportStatus.IMPORTING)),
    )
    holding = or_(HouseholdImport.content.is_not(None), HouseholdImport.errors != "[]")
    session.execute(
        update(HouseholdImport)
        .where(*old, HouseholdImport.status.in_((ImportStatus.READY, ImportStatus.INVALID)))
        .values(status=ImportStatus.CANCELLED)
    )
    result = session.execute(
        update(HouseholdImport).where(*old, holding).values(content=None, errors="[]")
    )
    assert isinstance(result, CursorResult)  # noqa: S101 - an UPDATE's result counts rows
    return result.rowcount or 0


def _selected_ids(
    session: Session, *, round_id: int | None, before: date | None, timezone: str
) -> list[int]:
    other = aliased(Parcel)
    in_progress = exists().where(other.household_id == Household.id, other.status.in_(IN_PROGRESS))
    query = select(Household.id).where(~in_progress)
    if round_id is not None:
        elsewhere = aliased(Parcel)
        query = query.where(
            exists().where(Parcel.household_id == Household.id, Parcel.round_id == round_id),
            ~exists().where(
                elsewhere.household_id == Household.id,
                elsewhere.round_id != round_id,
                elsewhere.status != ParcelStatus.CANCELLED,
            ),
        )
    else:
        assert before is not None  # noqa: S101
        start = _day_start(before, timezone)
        later = aliased(Parcel)
        query = query.where(
            Household.created_at < start,
            ~exists().where(
                later.household_id == Household.id,
                later.created_at >= start,
                later.status != ParcelStatus.CANCELLED,
            ),
        )
    return list(session.scalars(query.order_by(Household.id)))


def anonymise_households(
    session: Session,
    *,
    round_id: int | None = None,
    before: date | None = None,
    timezone: str = "Asia/Jakarta",
    user: Any = None,
    address: str = "",
) -> AnonymiseResult:
    """Anonymise the households the rule names (see the module); flush, never commit.

    Idempotent: households already anonymised are cleared again (nothing changes) and not
    counted; one `households.anonymise` audit event when any household changed."""
    if (round_id is None) == (before is None):
        raise InvalidValue(_l("Name a round or a date, not both."), field="round")
    if round_id is not None and session.get(Round, round_id) is None:
        raise NotFound(_l("There is no round %(id)s.", id=round_id), field="round")
    ids = _selected_ids(session, round_id=round_id, before=before, timezone=timezone)
    changed = 0
    placeholder_key = name_key(PLACEHOLDER_NAME)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        for household in session.scalars(select(Household).where(Household.id.in_(chunk))):
            if household.nik == anonymous_nik(household.id):
                continue
            household.head_name = PLACEHOLDER_NAME
            household.name_key = placeholder_key
            household.worker_name = PLACEHOLDER_NAME
            household.nik = anonymous_nik(household.id)
            household.phone = ""
            changed += 1
        parcel_ids = select(Parcel.id).where(Parcel.household_id.in_(chunk))
        session.execute(
            update(ParcelEvent)
            .where(ParcelEvent.parcel_id.in_(parcel_ids))
            .values(lat=None, lon=None)
        )
        # A delivery's or a failed attempt's free note was copied from its scan.
        session.execute(
            update(ParcelEvent)
            .where(
                and_(
                    ParcelEvent.parcel_id.in_(parcel_ids),
                    ParcelEvent.scan_id.is_not(None),
                    ParcelEvent.status.in_((ParcelStatus.DELIVERED, ParcelStatus.FAILED)),
                )
            )
            .values(note="")
        )
        # The scans' trigger lets exactly these columns change (migration 0003).
        session.execute(
            update(Scan)
            .where(Scan.parcel_id.in_(parcel_ids))
            .values(recipient_name="", recipient_relation="", note="", lat=None, lon=None)
        )
        session.execute(delete(DeliveryProof).where(DeliveryProof.parcel_id.in_(parcel_ids)))
        session.execute(
            update(Collector)
            .where(Collector.household_id.in_(chunk))
            .values(name=PLACEHOLDER_NAME, nik=None, phone="")
        )
        their_feedback = select(Feedback.id).where(
            or_(Feedback.household_id.in_(chunk), Feedback.parcel_id.in_(parcel_ids))
        )
        session.execute(
            update(Feedback)
            .where(Feedback.id.in_(their_feedback))
            .values(text=PLACEHOLDER_NAME, response="")
        )
        session.execute(
            update(FeedbackEvent)
            .where(FeedbackEvent.feedback_id.in_(their_feedback))
            .values(response="")
        )
        session.execute(
            update(PdmResponse).where(PdmResponse.parcel_id.in_(parcel_ids)).values(comment="")
        )
    imports = _clear_imports(session, before, timezone) if before is not None else 0
    session.flush()
    if changed or imports:
        audit.record(
            session,
            "households.anonymise",
            user=user,
            object_type="round" if round_id is not None else "",
            object_ref=round_id if round_id is not None else "",
            detail={
                "households": changed,
                "imports": imports,
                "round": round_id,
                "before": before.isoformat() if before else None,
            },
            address=address,
        )
    return AnonymiseResult(households=changed, selected=len(ids), imports=imports)
