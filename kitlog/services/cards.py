"""Household cards: issuing and reissuing them, and finding the card a scan names.

A card's codes are made as a parcel's are (kitlog.services.parcel_codes): an 80-bit token
in its QR code (`<BASE_URL>/h/<token>`) and a short code with a check symbol for typing.
Reissuing replaces the household's card: the old row stays, marked replaced, so that a
scan of the old card is refused by name ("card replaced on 3 Dec") rather than as unknown.
Every issue and reissue is in the audit log, by household code and short code only.

A phone that checks a card offline holds each card's `token_hash`, never the token: the
hash of a card the household does not hold is no use for making a card.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kitlog.models import Household, HouseholdCard, User
from kitlog.models.base import as_utc, utcnow
from kitlog.services import audit, parcel_codes
from kitlog.services.distribution import token_of
from kitlog.services.errors import NotFound
from kitlog.services.locking import lock_row
from kitlog.services.time_zones import format_day

CARD_ISSUE = "card.issue"
CARD_REISSUE = "card.reissue"


def token_hash(token: str) -> str:
    """The hex SHA-256 of a card's token (upper case, as stored): what a saved trip holds
    to check a card offline."""
    return hashlib.sha256(token.strip().upper().encode("ascii")).hexdigest()


def short_code_hash(short_code: str) -> str:
    """The hex SHA-256 of a card's short code (its 9 stored symbols: upper case, without
    spaces or hyphens): a saved trip checks a typed code with it, never holding the code."""
    return hashlib.sha256(parcel_codes.clean_symbols(short_code).encode("ascii")).hexdigest()


def card_url(card: HouseholdCard, base_url: str) -> str:
    return f"{base_url.rstrip('/')}/h/{card.token}"


def shown_code(card: HouseholdCard) -> str:
    """The short code as printed: ABC-DEF-GHJ."""
    return parcel_codes.format_short_code(card.short_code)


def _new_codes(session: Session) -> tuple[str, str]:
    """A token and a short code no card holds yet (nor any parcel: a typed code at a
    distribution site is looked for among both)."""
    from kitlog.models import Parcel

    while True:
        token, short = parcel_codes.new_token(), parcel_codes.new_short_code()
        taken = session.scalar(
            select(HouseholdCard.id).where(
                (HouseholdCard.token == token) | (HouseholdCard.short_code == short)
            )
        ) or session.scalar(select(Parcel.id).where(Parcel.short_code == short))
        if not taken:
            return token, short


def issue_card(
    session: Session,
    household: Household,
    *,
    user: User | None,
    now: datetime | None = None,
    address: str | None = None,
) -> HouseholdCard:
    """A new card for the household; the card it held (if any) is replaced, in the same
    transaction, under the household's lock (two staff reissuing at once make two cards
    one after the other, never two current ones)."""
    now = now or utcnow()
    lock_row(session, household)
    replaced = (
        session.execute(
            update(HouseholdCard)
            .where(HouseholdCard.household_id == household.id, HouseholdCard.replaced_at.is_(None))
            .values(replaced_at=now, replaced_by_id=user.id if user is not None else None)
            .returning(HouseholdCard.short_code)
        )
        .scalars()
        .all()
    )
    token, short = _new_codes(session)
    card = HouseholdCard(
        household_id=household.id,
        token=token,
        short_code=short,
        issued_at=now,
        issued_by_id=user.id if user is not None else None,
    )
    session.add(card)
    session.flush()
    session.expire(household, ["card"])
    audit.record(
        session,
        CARD_REISSUE if replaced else CARD_ISSUE,
        user=user,
        object_type="household",
        object_ref=household.code,
        detail={"card": parcel_codes.format_short_code(short)}
        | ({"replaced": parcel_codes.format_short_code(replaced[0])} if replaced else {}),
        address=address,
    )
    return card


def current_card(
    session: Session, household: Household, *, user: User | None, now: datetime | None = None
) -> HouseholdCard:
    """The household's card, issued first when it has none (under the household's lock:
    two prints at once issue one card)."""
    lock_row(session, household)
    card = session.scalars(
        select(HouseholdCard).where(
            HouseholdCard.household_id == household.id, HouseholdCard.replaced_at.is_(None)
        )
    ).first()
    return card if card is not None else issue_card(session, household, user=user, now=now)


def find_card(session: Session, text: str) -> HouseholdCard | None:
    """The card (current or replaced) a short code, a token or the card's QR URL names;
    None when it names none."""
    text = (text or "").strip()[:2000]
    if parcel_codes.looks_like_short_code(text):
        short = parcel_codes.normalise_short_code(text)
        if short is None:
            return None
        return session.scalars(
            select(HouseholdCard).where(HouseholdCard.short_code == short)
        ).first()
    token = token_of(text, "h")
    if token is None:
        return None
    return session.scalars(select(HouseholdCard).where(HouseholdCard.token == token)).first()


def card_refusal(card: HouseholdCard) -> LazyString | None:
    """Why a card may not be used: it was replaced (with the date); None when current."""
    if card.replaced_at is None:
        return None
    return _l("Card replaced on %(date)s.", date=format_day(as_utc(card.replaced_at)))


def require_card(session: Session, text: str) -> HouseholdCard:
    """The card the text names, current or replaced; NotFound when it names none."""
    card = find_card(session, text)
    if card is None:
        raise NotFound(
            _l("No household card has the code %(code)s.", code=(text or "").strip()[:60])
        )
    return card


__all__ = [
    "CARD_ISSUE",
    "CARD_REISSUE",
    "card_refusal",
    "card_url",
    "current_card",
    "find_card",
    "issue_card",
    "require_card",
    "short_code_hash",
    "shown_code",
    "token_hash",
]
