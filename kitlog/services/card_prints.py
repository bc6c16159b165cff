"""Printing household cards: one household's card, or sheets of ten for a village, a
regency or a round's households.

A household without a card gets one issued as it is printed (kitlog.services.cards,
audited), all in the request's one transaction: the PDF and the cards it shows are made
together or not at all. What a card prints: see kitlog.documents.cards. It names the
head of household, so every print is also logged as a document printed with names.

Sheets come out village by village, then by household code, as labels do, so that a
village's cards leave the printer together. A choice of more than MAX_CARDS households
prints in parts, in the same order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, func, select, text
from sqlalchemy.orm import Session

from kitlog.documents.cards import CardFace, render_card, render_card_sheets
from kitlog.models import Household, HouseholdCard, HouseholdStatus, Parcel, ParcelStatus, Round
from kitlog.models.base import utcnow
from kitlog.services import audit, places
from kitlog.services.cards import card_url, issue_card, shown_code
from kitlog.services.errors import Conflict, FieldError, InvalidValue, InvalidValues
from kitlog.services.labels import file_slug
from kitlog.services.locking import write_lock
from kitlog.services.time_zones import deployment_zone, in_zone

Query = TypeVar("Query", bound="Select[*tuple[Any, ...]]")

CARDS_PER_SHEET = 10
# Issuing a card is a few statements; a file of 2,000 new cards stays well inside the
# request's 30 s (a sheet of cards renders at about 1,500 a second).
MAX_CARDS = 2000
MAX_PARTS = 1000


@dataclass(frozen=True)
class CardChoice:
    """Whose cards to print: a village's, a regency's, a round's households, or the
    households of a round in that village or regency. Only active households."""

    village: places.Place | None = None
    regency: places.Place | None = None
    round: Round | None = None
    part: int | None = None  # 1, 2, ...: that part of MAX_CARDS cards; None: all

    def describe(self) -> str:
        """The choice as the audit log and the file's name keep it."""
        parts = []
        if self.round is not None:
            parts.append(f"round {self.round.id}")
        if self.regency is not None:
            parts.append(f"regency {self.regency.code}")
        if self.village is not None:
            parts.append(f"village {self.village.code}")
        return ", ".join(parts)


@dataclass(frozen=True)
class CardSheet:
    """A card PDF and what it holds."""

    pdf: bytes
    cards: int
    pages: int
    issued: int  # cards issued for it: households that had none
    filename: str


def _official(value: str | None, level: str, field: str) -> places.Place | None:
    """The official place of `level` a code names (with or without dots); None for none."""
    value = (value or "").strip()
    if not value:
        return None
    code = places.normalise_code(value)
    place = places.gazetteer().get(code) if code else None
    if place is None or place.level != level:
        message = {
            "regency": _l("%(value)s is not the official code of a regency.", value=value[:20]),
            "village": _l("%(value)s is not the official code of a village.", value=value[:20]),
        }[level]
        raise InvalidValues([FieldError(field, message)])
    return place


def choose_cards(
    session: Session,
    *,
    village_code: str | None = None,
    regency_code: str | None = None,
    round_id: int | None = None,
    part: int | None = None,
) -> CardChoice:
    """Check a request for cards: official codes, a round that exists, a village inside
    the regency given with it; 422 when nothing is chosen (every household's card at once
    is never what a printer is for)."""
    village = _official(village_code, "village", "village_code")
    regency = _official(regency_code, "regency", "regency_code")
    round_ = None
    if round_id is not None:
        round_ = session.get(Round, round_id)
        if round_ is None:
            raise InvalidValue(_l("No round has the number %(id)s.", id=round_id), field="round")
    if village is None and regency is None and round_ is None:
        raise InvalidValue(
            _l("Choose a village, a regency or a round whose households' cards to print."),
            field="village_code",
        )
    if (
        village is not None
        and regency is not None
        and not village.code.startswith(regency.code + ".")
    ):
        raise InvalidValues(
            [
                FieldError(
                    "village_code",
                    _l(
                        "%(village)s is not in %(regency)s.",
                        village=village.name,
                        regency=regency.name,
                    ),
                )
            ]
        )
    if part is not None and not 1 <= part <= MAX_PARTS:
        raise InvalidValue(_l("Choose a part from the list."), field="part")
    return CardChoice(village=village, regency=regency, round=round_, part=part)


def _chosen(query: Query, choice: CardChoice) -> Query:
    query = query.where(Household.status == HouseholdStatus.ACTIVE)
    if choice.village is not None:
        query = query.where(Household.village_code == choice.village.code)
    if choice.regency is not None:
        query = query.where(Household.regency_code == choice.regency.code)
    if choice.round is not None:
        query = query.where(
            exists().where(
                Parcel.household_id == Household.id,
                Parcel.round_id == choice.round.id,
                Parcel.status != ParcelStatus.CANCELLED,
            )
        )
    return query


def count_cards(session: Session, choice: CardChoice) -> int:
    """How many cards the choice prints."""
    return int(session.scalar(_chosen(select(func.count()).select_from(Household), choice)) or 0)


def parts_for(cards: int) -> int:
    """How many files of at most MAX_CARDS cards that many cards take."""
    return math.ceil(cards / MAX_CARDS) if cards else 0


def sheets_for(cards: int) -> int:
    return math.ceil(cards / CARDS_PER_SHEET) if cards else 0


def card_face(card: HouseholdCard, household: Household, *, base_url: str) -> CardFace:
    """What the household's card prints: never its NIK or phone."""
    return CardFace(
        url=card_url(card, base_url),
        short_code=shown_code(card),
        household_code=household.code,
        head_name=household.head_name,
        village=household.village or "",
        regency=household.regency or "",
        issued=in_zone(card.issued_at, deployment_zone()).date(),
    )


def _current_cards(session: Session, household_ids: list[int]) -> dict[int, HouseholdCard]:
    """The current card of each of these households that has one, in one query."""
    query = select(HouseholdCard).where(
        HouseholdCard.household_id.in_(household_ids), HouseholdCard.replaced_at.is_(None)
    )
    return {card.household_id: card for card in session.scalars(query)}


def _lock_households(session: Session, household_ids: list[int]) -> None:
    """Serialise the issuing of these households' cards until the transaction ends: two
    staff printing the same village at once must not each issue a card, the second
    replacing the card the first just printed. PostgreSQL: the rows FOR UPDATE, in id
    order; SQLite: the database-wide write lock, taken by a write that changes nothing
    (a GET's transaction began as a reader)."""
    ids = sorted(household_ids)
    if session.get_bind().dialect.name == "sqlite":
        touch = text("UPDATE households SET id = id WHERE id = :id").bindparams(id=ids[0])
        write_lock(session, touch)
        return
    session.execute(
        select(Household.id).where(Household.id.in_(ids)).order_by(Household.id).with_for_update()
    )


def _cards_for(
    session: Session,
    households: list[Household],
    *,
    user: Any,
    now: datetime,
    address: str | None,
) -> tuple[list[HouseholdCard], int]:
    """Each household's current card, in order, issuing one where there is none (looked
    for again under the households' lock); and how many were issued."""
    current = _current_cards(session, [h.id for h in households])
    missing = [h.id for h in households if h.id not in current]
    if missing:
        _lock_households(session, missing)
        current |= _current_cards(session, missing)
    cards, issued = [], 0
    for household in households:
        card = current.get(household.id)
        if card is None:
            card = issue_card(session, household, user=user, now=now, address=address)
            issued += 1
        cards.append(card)
    return cards, issued


def _printed(
    session: Session,
    document: str,
    names: int,
    *,
    user: Any,
    object_type: str,
    ref: str,
    address: str | None,
) -> None:
    """Log the print as audit.printed_names does (a document carrying heads' names), but
    in the print's own transaction: it writes already (it may issue cards), and a second
    writer of its own would wait for it on SQLite."""
    audit.record(
        session,
        "print.names",
        user=user,
        object_type=object_type,
        object_ref=ref,
        detail={"document": document, "names": names},
        address=address,
    )


def print_card(
    session: Session,
    household: Household,
    *,
    base_url: str,
    user: Any,
    now: datetime | None = None,
    address: str | None = None,
) -> CardSheet:
    """One household's card on a page of its own size, issued first when it has none."""
    now = now or utcnow()
    [card], issued = _cards_for(session, [household], user=user, now=now, address=address)
    pdf = render_card(
        card_face(card, household, base_url=base_url),
        title=str(_l("Household card %(code)s", code=household.code)),
    )
    _printed(
        session, "card", 1, user=user, object_type="household", ref=household.code, address=address
    )
    return CardSheet(
        pdf=pdf,
        cards=1,
        pages=1,
        issued=issued,
        filename=f"kitlog-card-{household.code.lower()}-{card.short_code.lower()}.pdf",
    )


def too_many(cards: int) -> Conflict:
    """The refusal of a choice of more than MAX_CARDS cards in one file."""
    return Conflict(
        _l(
            "%(count)s cards are too many for one file: print at most %(max)s at a time."
            " Print them in %(parts)s parts (part=1, 2, …), or choose a village.",
            count=format_decimal(cards),
            max=format_decimal(MAX_CARDS),
            parts=format_decimal(parts_for(cards)),
        )
    )


def print_card_sheets(
    session: Session,
    choice: CardChoice,
    *,
    base_url: str,
    user: Any,
    now: datetime | None = None,
    address: str | None = None,
) -> CardSheet:
    """The chosen households' cards, ten to an A4 sheet; 409 when the choice matches no
    household (an empty PDF would look like a printer fault), and when it matches more
    than MAX_CARDS without a part."""
    count = count_cards(session, choice)
    if not count:
        raise Conflict(_l("No active household matches this choice: there are no cards to print."))
    parts = parts_for(count)
    if choice.part is None and count > MAX_CARDS:
        raise too_many(count)
    if choice.part is not None and choice.part > parts:
        raise Conflict(
            _l(
                "These %(count)s cards print in %(parts)s parts: there is no part %(part)s.",
                count=format_decimal(count),
                parts=format_decimal(parts),
                part=choice.part,
            )
        )
    query = _chosen(select(Household), choice).order_by(Household.village, Household.code)
    if choice.part is not None:
        query = query.offset((choice.part - 1) * MAX_CARDS).limit(MAX_CARDS)
    households = list(session.scalars(query))
    now = now or utcnow()
    cards, issued = _cards_for(session, households, user=user, now=now, address=address)
    faces = [
        card_face(card, household, base_url=base_url)
        for card, household in zip(cards, households, strict=True)
    ]
    pdf = render_card_sheets(faces, title=str(_l("Household cards")))
    _printed(
        session,
        "cards",
        len(faces),
        user=user,
        object_type="households",
        ref=choice.describe(),
        address=address,
    )
    name = "-".join(
        file_slug(text)
        for text in (
            f"round {choice.round.id} {choice.round.name}" if choice.round else "",
            choice.regency.name if choice.regency else "",
            choice.village.name if choice.village else "",
        )
        if text
    )
    part = "" if choice.part is None else f"-part-{choice.part}-of-{parts}"
    return CardSheet(
        pdf=pdf,
        cards=len(faces),
        pages=sheets_for(len(faces)),
        issued=issued,
        filename=f"kitlog-cards-{name}{part}.pdf",
    )
