"""Collectors (wakil penerima): the people a household names in advance to collect its
parcels for it, a neighbour or an adult child, at most MAX_COLLECTORS at a time.

A collector's name, NIK and phone are cleaned as a head of household's are, and are
personal data like theirs: the audit log names a collector by its id only, and no
donor-facing figure or export carries them. A collector is deactivated, never deleted:
the deliveries it took name it. The limit is checked under the household's row lock, so
two officers adding a collector at the same moment cannot make one too many.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kitlog.models import Collector, Household, User
from kitlog.models.base import utcnow
from kitlog.models.cards import MAX_COLLECTORS, MAX_RELATION
from kitlog.services import audit
from kitlog.services.errors import (
    Conflict,
    Duplicate,
    FieldError,
    InvalidValue,
    InvalidValues,
    NotFound,
)
from kitlog.services.households import BadValue, clean_nik, clean_person_name, clean_phone
from kitlog.services.locking import lock_row
from kitlog.text import cell_text, squeeze, storable

COLLECTOR_ADD = "collector.add"
COLLECTOR_DEACTIVATE = "collector.deactivate"
FIELDS = ("name", "relation", "nik", "phone")


@dataclass(frozen=True)
class CollectorValues:
    """A collector's values, cleaned and ready to store."""

    name: str
    relation: str
    nik: str | None
    phone: str


def clean_relation(value: object) -> str:
    """Free text ("tetangga", "anak"): how the collector is related to the household."""
    text = squeeze(cell_text(value))
    if not text:
        raise BadValue(_l("Say how the collector is related to the household."))
    if len(text) > MAX_RELATION:
        raise BadValue(_l("Keep this under %(n)s characters.", n=MAX_RELATION))
    if not storable(text, one_line=True):
        raise BadValue(_l("Contains characters that are not allowed."))
    return text


def _clean_optional_nik(value: object) -> str | None:
    """No NIK is allowed (None); a NIK given is checked as a head of household's."""
    if not cell_text(value).strip():
        return None
    return clean_nik(value)


_CLEANERS = (
    ("name", clean_person_name),
    ("relation", clean_relation),
    ("nik", _clean_optional_nik),
    ("phone", clean_phone),
)


def clean_collector(raw: Mapping[str, object]) -> CollectorValues:
    """Every value checked and normalised; raises InvalidValues listing every bad one."""
    clean: dict[str, object] = {}
    errors: list[FieldError] = []
    for name, cleaner in _CLEANERS:
        try:
            clean[name] = cleaner(raw.get(name))
        except BadValue as bad:
            errors.append(FieldError(name, bad.message))
    if errors:
        raise InvalidValues(errors)
    return CollectorValues(**clean)  # type: ignore[arg-type]  # each cleaner gives its field's type


def active_count(session: Session, household: Household) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Collector)
            .where(Collector.household_id == household.id, Collector.active)
        )
        or 0
    )


def add_collector(
    session: Session,
    household: Household,
    values: Mapping[str, object],
    *,
    user: User | None,
    now: datetime | None = None,
    address: str | None = None,
) -> Collector:
    """Name a collector for the household: at most MAX_COLLECTORS active (Conflict), never
    the head under their own NIK, never the same NIK twice (Duplicate)."""
    clean = clean_collector(values)
    now = now or utcnow()
    household = lock_row(session, household)
    if active_count(session, household) >= MAX_COLLECTORS:
        raise Conflict(
            _l(
                "A household names at most %(n)s collectors. Remove one before adding another.",
                n=MAX_COLLECTORS,
            )
        )
    if clean.nik is not None and clean.nik == household.nik:
        raise InvalidValue(
            _l("This is the head of household's own NIK: the head needs no collector."),
            field="nik",
        )
    if clean.nik is not None and session.scalar(
        select(Collector.id).where(
            Collector.household_id == household.id, Collector.active, Collector.nik == clean.nik
        )
    ):
        raise Duplicate(_l("A collector of this household already has this NIK."), field="nik")
    collector = Collector(
        household_id=household.id,
        name=clean.name,
        relation=clean.relation,
        nik=clean.nik,
        phone=clean.phone,
        active=True,
        created_at=now,
        created_by_id=user.id if user is not None else None,
    )
    session.add(collector)
    session.flush()
    session.expire(household, ["collectors"])
    audit.record(
        session,
        COLLECTOR_ADD,
        user=user,
        object_type="household",
        object_ref=household.code,
        detail={"collector": collector.id},
        address=address,
    )
    return collector


def household_collector(session: Session, household: Household, collector_id: int) -> Collector:
    """One of the household's collectors (active or not); NotFound for any other id."""
    collector = session.get(Collector, collector_id) if 0 < collector_id < 2**31 else None
    if collector is None or collector.household_id != household.id:
        raise NotFound(
            _l("Household %(code)s has no collector %(id)s.", code=household.code, id=collector_id)
        )
    return collector


def deactivate_collector(
    session: Session,
    household: Household,
    collector_id: int,
    *,
    user: User | None,
    now: datetime | None = None,
    address: str | None = None,
) -> Collector:
    """The collector may no longer collect for the household; its row stays (deliveries
    name it). Deactivating one already inactive changes nothing."""
    household = lock_row(session, household)
    collector = household_collector(session, household, collector_id)
    if not collector.active:
        return collector
    collector.active = False
    collector.deactivated_at = now or utcnow()
    collector.deactivated_by_id = user.id if user is not None else None
    session.flush()
    session.expire(household, ["collectors"])
    audit.record(
        session,
        COLLECTOR_DEACTIVATE,
        user=user,
        object_type="household",
        object_ref=household.code,
        detail={"collector": collector.id},
        address=address,
    )
    return collector


__all__ = [
    "COLLECTOR_ADD",
    "COLLECTOR_DEACTIVATE",
    "CollectorValues",
    "active_count",
    "add_collector",
    "clean_collector",
    "deactivate_collector",
    "household_collector",
]
