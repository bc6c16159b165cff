"""Post-distribution monitoring (PDM): a seeded random sample of a round's delivered
parcels, a short survey of each sampled household, and the round's results.

The sample is drawn from the round's delivered parcels (one per household per round),
ordered by parcel id, with `random.Random(seed).sample`: the seed is stored and shown,
so that anyone can draw it again from the same parcels and get the same households. A
round may be sampled several times (a larger sample, a new draw after late deliveries);
the latest sample is the current one, and a parcel drawn in any of them may be answered.

A parcel that is not in any sample of its round is refused: the results stand for the
round only because the households answering were drawn at random, not chosen.

A response answers for one parcel, once. A phone's outbox may send the same answer again:
the same idempotency key gives back the response already recorded, and nothing new, also
when the sends arrive at the same moment (a signal that comes and goes): the key is looked
up again once the parcel is locked, and an insert that still meets the database's unique
key gives way to the response that got there first.
"""

from __future__ import annotations

import json
import math
import random
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import LazyString, gettext, lazy_ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kitlog.models import KitItem, Parcel, ParcelStatus, Round
from kitlog.models.base import as_utc, utcnow
from kitlog.models.feedback import (
    MAX_COMMENT,
    SATISFACTION_RANGE,
    PdmResponse,
    PdmSample,
    PdmSampleParcel,
)
from kitlog.services import audit
from kitlog.services.distribution import find_parcel
from kitlog.services.errors import Conflict, FieldError, InvalidValue, InvalidValues, NotFound
from kitlog.services.locking import lock_row
from kitlog.services.time_zones import format_day
from kitlog.text import storable

SAMPLED = "pdm.sample"
ANSWERED = "pdm.response"

# Cochran's sample size for a proportion: 95 % confidence (z = 1.96), the most cautious
# proportion (p = 0.5) and a margin of 10 points (e = 0.10).
Z = 1.96
P = 0.5
MARGIN = 0.10
MAX_SEED = 2**31  # a seed fits the database's integer column
MAX_IDEMPOTENCY_KEY = 64


def default_size(population: int) -> int:
    """The sample that gives 95 % confidence and a 10 % margin among `population` parcels.

    Cochran's n0 = z²·p(1−p)/e² = 1.96² × 0.25 / 0.01 = 96.04 for an endless population;
    a round is finite, so n = n0 / (1 + (n0 − 1)/N), rounded up (a fraction of a
    household is one more household), and never more than the N there are.
    """
    if population <= 0:
        return 0
    n0 = Z**2 * P * (1 - P) / MARGIN**2
    n = n0 / (1 + (n0 - 1) / population)
    # round() first: 49.9999999 from floating point is 50, not 51
    return min(population, math.ceil(round(n, 9)))


def delivered_parcel_ids(session: Session, round_: Round) -> list[int]:
    """The population of a round's sample: its delivered parcels, by id."""
    return list(
        session.scalars(
            select(Parcel.id)
            .where(Parcel.round_id == round_.id, Parcel.status == ParcelStatus.DELIVERED)
            .order_by(Parcel.id)
        )
    )


def draw(population: list[int], size: int, seed: int) -> list[int]:
    """The parcels a seed draws from a population, in the order drawn: the same seed on
    the same population draws the same parcels."""
    return random.Random(seed).sample(population, size)  # noqa: S311 - a survey, not a secret


def draw_sample(
    session: Session,
    round_: Round,
    *,
    size: int | None = None,
    seed: int | None = None,
    user: Any,
    now: datetime | None = None,
) -> PdmSample:
    """Draw and store a random sample of the round's delivered parcels (audited)."""
    lock_row(session, round_)
    population = delivered_parcel_ids(session, round_)
    if not population:
        raise Conflict(
            _l("No parcel of this round has been delivered yet: there is nothing to sample.")
        )
    if seed is not None and not 0 <= seed < MAX_SEED:
        raise InvalidValue(
            _l("The seed is a whole number from 0 to %(max)s.", max=MAX_SEED - 1), field="seed"
        )
    if size is None:
        size = default_size(len(population))
    if size < 1:
        raise InvalidValue(_l("Draw at least one household."), field="size")
    if size > len(population):
        raise InvalidValue(
            lazy_ngettext(
                "Only %(num)s parcel of this round has been delivered: draw at most %(num)s.",
                "Only %(num)s parcels of this round have been delivered: draw at most %(num)s.",
                len(population),
            ),
            field="size",
        )
    if seed is None:
        seed = secrets.randbelow(MAX_SEED)
    sample = PdmSample(
        round_id=round_.id,
        seed=seed,
        size=size,
        population=len(population),
        created_at=now or utcnow(),
        created_by_id=getattr(user, "id", None),
    )
    session.add(sample)
    session.flush()
    for position, parcel_id in enumerate(draw(population, size, seed), start=1):
        session.add(PdmSampleParcel(sample_id=sample.id, position=position, parcel_id=parcel_id))
    session.flush()
    audit.record(
        session,
        SAMPLED,
        user=user,
        object_type="round",
        object_ref=round_.id,
        detail={"sample": sample.id, "seed": seed, "size": size, "population": len(population)},
    )
    return sample


def current_sample(session: Session, round_: Round) -> PdmSample | None:
    """The round's latest sample: the one being surveyed."""
    return session.scalars(
        select(PdmSample).where(PdmSample.round_id == round_.id).order_by(PdmSample.id.desc())
    ).first()


def current_samples(session: Session) -> list[PdmSample]:
    """Each round's latest sample, newest round first: the field officer's survey list."""
    latest = select(func.max(PdmSample.id)).group_by(PdmSample.round_id).scalar_subquery()
    return list(
        session.scalars(
            select(PdmSample).where(PdmSample.id.in_(latest)).order_by(PdmSample.round_id.desc())
        )
    )


def is_sampled(session: Session, parcel: Parcel) -> bool:
    """Was the parcel drawn in any sample of its round?"""
    return bool(session.scalar(select(exists().where(PdmSampleParcel.parcel_id == parcel.id))))


def responses_by_parcel(session: Session, parcel_ids: list[int]) -> dict[int, PdmResponse]:
    """The responses recorded for these parcels, by parcel id."""
    if not parcel_ids:
        return {}
    return {
        r.parcel_id: r
        for r in session.scalars(select(PdmResponse).where(PdmResponse.parcel_id.in_(parcel_ids)))
    }


def kit_items(session: Session, round_: Round) -> list[KitItem]:
    """The contents of the round's kit type (a round's batches are all of one kit type)."""
    batches = round_.batches
    if not batches:
        return []
    return list(
        session.scalars(
            select(KitItem)
            .where(KitItem.kit_type_id == batches[0].kit_type_id)
            .order_by(KitItem.position)
        )
    )


def missing_positions(response: PdmResponse) -> list[int]:
    """The kit item positions a response reports missing."""
    try:
        values = json.loads(response.items_missing or "[]")
    except ValueError:
        return []
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


def _item_positions(values: Any, items: list[KitItem]) -> tuple[list[int], list[FieldError]]:
    """Kit items named by position (2, "2") or by name (English or Indonesian, any case)."""
    if values is None:
        return [], []
    if not isinstance(values, list):
        return [], [FieldError("items_missing", _l("List the missing items."))]
    by_position = {i.position: i for i in items}
    by_name: dict[str, int] = {}
    for item in items:
        for name in (item.item, item.item_id):
            if name and name.strip():
                by_name.setdefault(name.strip().casefold(), item.position)
    positions: list[int] = []
    errors: list[FieldError] = []
    for value in values[: len(items) + 50]:
        position: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            position = value if value in by_position else None
        elif isinstance(value, str):
            text = value.strip()
            if text.isdigit() and len(text) < 6 and int(text) in by_position:
                position = int(text)
            else:
                position = by_name.get(text.casefold())
        if position is None:
            errors.append(
                FieldError(
                    "items_missing",
                    _l("%(item)s is not an item of this kit.", item=str(value)[:60]),
                )
            )
        elif position not in positions:
            positions.append(position)
    return sorted(positions), errors


def _parcel(session: Session, value: Any) -> Parcel:
    """The parcel a response names: its id, short code or token."""
    if isinstance(value, int) and not isinstance(value, bool):
        parcel = session.get(Parcel, value) if 1 <= value < 2**31 else None
        if parcel is None:
            raise NotFound(_l("No parcel has the id %(id)s.", id=value), field="parcel")
        return parcel
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(_l("Name the parcel by its code."), field="parcel")
    try:
        return find_parcel(session, value)
    except NotFound as error:
        raise NotFound(error.message, field="parcel") from None


def _answered_on(moment: datetime) -> LazyString:
    """The refusal of a second answer, its date in the reader's language when shown."""
    return LazyString(
        lambda: gettext(
            "This household already answered for this parcel on %(date)s.",
            date=format_day(moment),
        )
    )


def refusal(session: Session, parcel: Parcel) -> Conflict | None:
    """Why the parcel's household may not be surveyed (None: it may): not delivered,
    answered already, or not drawn in a sample of its round."""
    if parcel.status != ParcelStatus.DELIVERED:
        return Conflict(
            _l("This parcel has not been delivered: only a delivered parcel can be surveyed."),
            field="parcel",
        )
    answered = session.scalar(select(PdmResponse).where(PdmResponse.parcel_id == parcel.id))
    if answered is not None:
        return Conflict(_answered_on(as_utc(answered.created_at)), field="parcel")
    if not is_sampled(session, parcel):
        return Conflict(
            _l("This parcel is not in a monitoring sample of its round."), field="parcel"
        )
    return None


def _sent_before(session: Session, key: str | None, parcel: Parcel) -> PdmResponse | None:
    """The response an idempotency key already recorded (None: a new key); a key used for
    another parcel is refused."""
    if key is None:
        return None
    earlier = session.scalar(select(PdmResponse).where(PdmResponse.idempotency_key == key))
    if earlier is not None and earlier.parcel_id != parcel.id:
        raise Conflict(
            _l("This idempotency key was already used for another parcel."),
            field="idempotency_key",
        )
    return earlier


def record_response(
    session: Session, values: dict[str, Any], *, user: Any, now: datetime | None = None
) -> tuple[PdmResponse, bool]:
    """Record a household's answers about a sampled, delivered parcel, once; returns the
    response and whether it is new (False: the same idempotency key was sent again)."""
    key = values.get("idempotency_key")
    if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY):
        raise InvalidValue(
            _l("The idempotency key is 1 to %(n)s characters.", n=MAX_IDEMPOTENCY_KEY),
            field="idempotency_key",
        )
    parcel = _parcel(session, values.get("parcel"))
    earlier = _sent_before(session, key, parcel)
    if earlier is not None:
        return earlier, False
    parcel = lock_row(session, parcel)
    # A send of the same key that held the lock first has answered by now: its answer,
    # not "already answered".
    earlier = _sent_before(session, key, parcel)
    if earlier is not None:
        return earlier, False
    refused = refusal(session, parcel)
    if refused is not None:
        raise refused
    errors: list[FieldError] = []
    complete = values.get("received_complete")
    if not isinstance(complete, bool):
        errors.append(
            FieldError("received_complete", _l("Say whether the kit was complete: yes or no."))
        )
    positions, item_errors = _item_positions(
        values.get("items_missing"), kit_items(session, parcel.round)
    )
    errors += item_errors
    if complete is True and positions:
        errors.append(
            FieldError("items_missing", _l("A complete kit has no missing items: untick them."))
        )
    satisfaction = values.get("satisfaction")
    low, high = SATISFACTION_RANGE
    if (
        not isinstance(satisfaction, int)
        or isinstance(satisfaction, bool)
        or not low <= satisfaction <= high
    ):
        errors.append(
            FieldError(
                "satisfaction",
                _l("Choose a satisfaction from %(low)s to %(high)s.", low=low, high=high),
            )
        )
    comment = values.get("comment") or ""
    if not isinstance(comment, str):
        errors.append(FieldError("comment", _l("The comment is text.")))
        comment = ""
    comment = "\n".join(" ".join(line.split()) for line in comment.strip().splitlines()).strip()
    if len(comment) > MAX_COMMENT:
        errors.append(FieldError("comment", _l("Keep this under %(n)s characters.", n=MAX_COMMENT)))
    elif not storable(comment):
        errors.append(FieldError("comment", _l("Contains characters that are not allowed.")))
    if errors:
        raise InvalidValues(errors)
    response = PdmResponse(
        parcel_id=parcel.id,
        idempotency_key=key,
        received_complete=complete,
        items_missing=json.dumps(positions if not complete else []),
        satisfaction=satisfaction,
        comment=comment,
        created_at=now or utcnow(),
        created_by_id=getattr(user, "id", None),
    )
    savepoint = session.begin_nested()
    try:
        session.add(response)
        session.flush()
        savepoint.commit()
    except IntegrityError:
        # Another send got there between the look-up and the insert: the database's unique
        # key kept it to one response, which is this key's answer too.
        savepoint.rollback()
        first = _sent_before(session, key, parcel)
        if first is not None:
            return first, False
        refused = refusal(session, parcel)
        if refused is not None:
            raise refused from None
        raise
    audit.record(
        session,
        ANSWERED,
        user=user,
        object_type="parcel",
        object_ref=parcel.short_code,
        detail={"response": response.id, "round": parcel.round_id},
    )
    return response, True


@dataclass
class MissingItem:
    position: int
    item: KitItem | None
    count: int


@dataclass
class RoundResults:
    """What the households of a round said, and how far its current sample has answered."""

    responses: int = 0
    complete: int = 0
    satisfaction_mean: float | None = None
    distribution: dict[int, int] = field(default_factory=dict)
    missing: list[MissingItem] = field(default_factory=list)
    sample: PdmSample | None = None
    sample_answered: int = 0

    @property
    def complete_rate(self) -> float | None:
        """The share of responses that said the kit was complete (None with no response)."""
        return self.complete / self.responses if self.responses else None


def round_results(session: Session, round_: Round) -> RoundResults:
    """Every response of the round's parcels (from any of its samples), summed up."""
    rows = list(
        session.scalars(
            select(PdmResponse)
            .join(Parcel, Parcel.id == PdmResponse.parcel_id)
            .where(Parcel.round_id == round_.id)
            .order_by(PdmResponse.id)
        )
    )
    low, high = SATISFACTION_RANGE
    results = RoundResults(
        responses=len(rows),
        complete=sum(1 for r in rows if r.received_complete),
        distribution={score: 0 for score in range(low, high + 1)},
    )
    for r in rows:
        results.distribution[r.satisfaction] = results.distribution.get(r.satisfaction, 0) + 1
    if rows:
        results.satisfaction_mean = sum(r.satisfaction for r in rows) / len(rows)
    counts = Counter(p for r in rows for p in missing_positions(r))
    if counts:
        items = {i.position: i for i in kit_items(session, round_)}
        results.missing = [
            MissingItem(position, items.get(position), n)
            for position, n in sorted(counts.items(), key=lambda pn: (-pn[1], pn[0]))
        ]
    results.sample = current_sample(session, round_)
    if results.sample is not None:
        answered = {r.parcel_id for r in rows}
        results.sample_answered = sum(
            1 for line in results.sample.parcels if line.parcel_id in answered
        )
    return results
