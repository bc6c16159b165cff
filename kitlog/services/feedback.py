"""Feedback and complaints (accountability to affected people): recording them, from a
field officer's phone, a hotline call or the household's own page.

Each entry is numbered per year (`FB-2026-0001`) from a database counter. Staff conduct
is always sensitive; sensitive feedback is for administrators only (the pages and the API
check who reads it, and log each reading), and no export or report ever holds its text.

A phone's entry carries an idempotency key: the outbox sending it again records it once,
and answers with the first entry.

The household's own page (/f/<card token>) records with no login: the card names the
household, and a keyed hash of the sender's address (never the address) limits how much
one address may send.

Answering it: an administrator moves it from any status to any other (it may be opened
again), each move a `FeedbackEvent` with who, when and the response given. Who reads what:
an administrator everything; a field officer only the non-sensitive entries they
recorded; anyone else nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, false, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from kitlog.models import (
    FEEDBACK_CATEGORIES,
    FEEDBACK_STATUSES,
    Feedback,
    FeedbackCategory,
    FeedbackChannel,
    FeedbackEvent,
    FeedbackStatus,
    Household,
    Parcel,
    Role,
    User,
)
from kitlog.models.base import as_utc, utcnow
from kitlog.models.feedback import MAX_FEEDBACK_TEXT, MAX_RESPONSE
from kitlog.services import audit
from kitlog.services.cards import find_card
from kitlog.services.distribution import parcel_condition
from kitlog.services.errors import DomainError, FieldError, InvalidValues, NotFound
from kitlog.services.locking import lock_key, lock_row
from kitlog.services.sequences import current_value, next_numbers
from kitlog.text import storable

KEY_PATTERN = re.compile(r"[A-Za-z0-9._:-]{8,64}\Z")
# What staff record: a public entry comes only through the household's own page.
STAFF_CHANNELS = (FeedbackChannel.OFFICER.value, FeedbackChannel.PHONE.value)

# How much one address may send from the household's page: enough for a family sharing a
# phone, or a village sharing an operator's address, and too little to flood the list.
PUBLIC_LIMITS = ((timedelta(hours=1), 5), (timedelta(days=1), 20))
PUBLIC_FEEDBACK_LOCK = 0x6B6C_0002  # advisory lock scope: one sender's entries, one at a time


@dataclass(frozen=True)
class Recorded:
    """The entry, and whether this call created it (False: its key was seen before)."""

    feedback: Feedback
    created: bool


def feedback_number(year: int, n: int) -> str:
    return f"FB-{year}-{n:04d}"


def _household(session: Session, code: object, errors: list[FieldError]) -> Household | None:
    if code in (None, ""):
        return None
    text = str(code).strip().upper()[:16]
    household = session.scalars(select(Household).where(Household.code == text)).first()
    if household is None:
        errors.append(FieldError("household", _l("There is no household %(code)s.", code=text)))
    return household


def _parcel(session: Session, code: object, errors: list[FieldError]) -> Parcel | None:
    if code in (None, ""):
        return None
    try:
        parcel = session.scalars(select(Parcel).where(parcel_condition(str(code)))).first()
    except NotFound as error:
        errors.append(FieldError("parcel", error.message))
        return None
    if parcel is None:
        errors.append(
            FieldError("parcel", _l("No parcel has the code %(code)s.", code=str(code)[:60]))
        )
    return parcel


def clean_text(errors: list[FieldError], value: object) -> str:
    """The feedback's own words: required, kept as written (trimmed)."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        errors.append(FieldError("text", _l("Say what the feedback is.")))
    elif len(text) > MAX_FEEDBACK_TEXT:
        errors.append(
            FieldError("text", _l("Keep this under %(n)s characters.", n=MAX_FEEDBACK_TEXT))
        )
    elif not storable(text):
        errors.append(FieldError("text", _l("Contains characters that are not allowed.")))
    return text


def clean_category(errors: list[FieldError], value: object) -> str:
    if value not in FEEDBACK_CATEGORIES:
        errors.append(
            FieldError(
                "category",
                _l(
                    "Choose one of the categories %(categories)s.",
                    categories=", ".join(FEEDBACK_CATEGORIES),
                ),
            )
        )
        return ""
    return str(value)


def record_feedback(
    session: Session,
    values: dict[str, Any],
    *,
    user: User | None,
    channels: tuple[str, ...] = STAFF_CHANNELS,
    source_key: str | None = None,
    now: datetime | None = None,
) -> Recorded:
    """Record one entry; InvalidValues lists every bad value and nothing is written.

    `values`: category, channel (one of `channels`), text, sensitive (bool, optional),
    household (code, optional), parcel (short code, token or URL, optional; its household
    is the entry's), idempotency_key (optional: a phone's). A key seen before gives back
    the first entry (`created` False) when it was for the same words, and is 422 when not.
    """
    now = now or utcnow()
    errors: list[FieldError] = []
    category = clean_category(errors, values.get("category"))
    channel = values.get("channel") or (channels[0] if len(channels) == 1 else None)
    if channel not in channels:
        errors.append(
            FieldError(
                "channel",
                _l("Choose one of the channels %(channels)s.", channels=", ".join(channels)),
            )
        )
    text = clean_text(errors, values.get("text"))
    sensitive = values.get("sensitive", False)
    if not isinstance(sensitive, bool):
        errors.append(FieldError("sensitive", _l("Give true or false.")))
        sensitive = False
    key = values.get("idempotency_key")
    if key is not None and (not isinstance(key, str) or not KEY_PATTERN.match(key)):
        errors.append(
            FieldError(
                "idempotency_key",
                _l("Give a key of 8 to 64 letters, digits and . _ : - (a UUID will do)."),
            )
        )
        key = None
    household = _household(session, values.get("household"), errors)
    parcel = _parcel(session, values.get("parcel"), errors)
    if household is not None and parcel is not None and parcel.household_id != household.id:
        errors.append(
            FieldError(
                "parcel",
                _l(
                    "Parcel %(parcel)s is for household %(owner)s, not %(household)s.",
                    parcel=values.get("parcel"),
                    owner=parcel.household.code,
                    household=household.code,
                ),
            )
        )
    if errors:
        raise InvalidValues(errors)
    if key:
        first = session.scalars(select(Feedback).where(Feedback.idempotency_key == key)).first()
        if first is not None:
            return _repeated(first, category, text)
    if parcel is not None:
        household = parcel.household
    year = now.year
    [n] = next_numbers(session, f"feedback-{year}")
    feedback = Feedback(
        number=feedback_number(year, n),
        idempotency_key=key or None,
        category=category,
        channel=str(channel),
        sensitive=bool(sensitive) or category == FeedbackCategory.STAFF_CONDUCT,
        household_id=household.id if household is not None else None,
        parcel_id=parcel.id if parcel is not None else None,
        text=text,
        status=FeedbackStatus.OPEN,
        response="",
        created_at=now,
        updated_at=now,
        created_by_id=user.id if user is not None else None,
        source_key=source_key,
    )
    savepoint = session.begin_nested()
    try:
        session.add(feedback)
        session.flush()
        session.add(
            FeedbackEvent(
                feedback_id=feedback.id,
                from_status=None,
                status=FeedbackStatus.OPEN,
                user_id=user.id if user is not None else None,
                created_at=now,
            )
        )
        session.flush()
        savepoint.commit()
    except IntegrityError:
        savepoint.rollback()
        first = session.scalars(select(Feedback).where(Feedback.idempotency_key == key)).first()
        if not key or first is None:
            raise
        return _repeated(first, category, text)
    return Recorded(feedback, created=True)


class TooMuchFeedback(DomainError):
    """One address sent as much public feedback as it may for now (429)."""

    status = 429

    def __init__(self, retry_after: int):
        super().__init__(
            _l("A lot of feedback was sent from this connection. Please try again later."),
            retry_after=retry_after,
        )
        self.retry_after = max(1, int(retry_after))


def source_key(secret: str | bytes, address: str | None) -> str:
    """The key public feedback is counted by: HMAC-SHA256 of the sender's address with the
    app's secret, so that the address itself is never stored and cannot be guessed back."""
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, (address or "unknown").encode(), hashlib.sha256).hexdigest()


def _wait_for_public_limit(session: Session, key: str, now: datetime) -> int | None:
    """Seconds until the address may send again; None when it may now."""
    for window, limit in PUBLIC_LIMITS:
        since = now - window
        sent, first = session.execute(
            select(func.count(), func.min(Feedback.created_at)).where(
                Feedback.source_key == key, Feedback.created_at > since
            )
        ).one()
        if sent >= limit:
            return int((as_utc(first) + window - now).total_seconds()) + 1
    return None


def record_public_feedback(
    session: Session,
    values: dict[str, Any],
    *,
    card_token: str,
    source_key: str,
    now: datetime | None = None,
) -> Feedback:
    """Record what a household sent from its own page, with no login.

    `values`: category and text, nothing else (the sender chooses no household, parcel or
    sensitivity). The card names the household, current or replaced; an unknown card's
    entry is stored without one, so that the answer never tells whether a card exists.
    Beyond `PUBLIC_LIMITS` from one address: TooMuchFeedback, and nothing is written. The
    sender's entries are counted and recorded one at a time (two sent at once do not both
    slip under the limit).
    """
    now = now or utcnow()
    lock_key(session, PUBLIC_FEEDBACK_LOCK, int(source_key[:7], 16))
    wait = _wait_for_public_limit(session, source_key, now)
    if wait is not None:
        raise TooMuchFeedback(wait)
    card = find_card(session, card_token)
    recorded = record_feedback(
        session,
        {
            "category": values.get("category"),
            "text": values.get("text"),
            "household": card.household.code if card is not None else None,
        },
        user=None,
        channels=(FeedbackChannel.PUBLIC.value,),
        source_key=source_key,
        now=now,
    )
    return recorded.feedback


def likely_next_number(session: Session, *, now: datetime | None = None) -> str:
    """The number the next entry will probably get, drawing nothing: what a spam robot is
    thanked with, so that it cannot tell it was caught."""
    year = (now or utcnow()).year
    return feedback_number(year, current_value(session, f"feedback-{year}") + 1)


def _repeated(first: Feedback, category: str, text: str) -> Recorded:
    if first.category != category or first.text != text:
        raise InvalidValues(
            [
                FieldError(
                    "idempotency_key",
                    _l(
                        "This key was already used for feedback %(number)s: give each entry"
                        " its own key.",
                        number=first.number,
                    ),
                )
            ]
        )
    return Recorded(first, created=False)


# -- answering it ---------------------------------------------------------------------------

# Where an answer ends: a response is required to get there, and resolved_at is set.
ANSWERED = (FeedbackStatus.RESOLVED.value, FeedbackStatus.CLOSED.value)
# Still waiting for someone: the administrator's list shows these unless asked otherwise.
WAITING = (FeedbackStatus.OPEN.value, FeedbackStatus.REFERRED.value)
# The audit log's action for a reading of sensitive feedback (its numbers, never its text).
SENSITIVE_READ = "feedback.sensitive_read"


def clean_response(errors: list[FieldError], value: object, status: str) -> str:
    """The response: required to resolve or close, kept as written (trimmed)."""
    response = value.strip() if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        errors.append(FieldError("response", _l("Give the response as text.")))
    elif not response and status in ANSWERED:
        errors.append(
            FieldError(
                "response", _l("Say what was done: a response is needed to resolve or close it.")
            )
        )
    elif len(response) > MAX_RESPONSE:
        errors.append(
            FieldError("response", _l("Keep this under %(n)s characters.", n=MAX_RESPONSE))
        )
    elif not storable(response):
        errors.append(FieldError("response", _l("Contains characters that are not allowed.")))
    return response


def change_status(
    session: Session,
    feedback: Feedback,
    status: object,
    response: object,
    *,
    user: User | None,
    now: datetime | None = None,
) -> Feedback:
    """Move feedback to another status (any to any: it may be opened again), with the
    response given; InvalidValues (422) for an unknown status, a move to the status it
    already has, or resolving or closing without a response.

    The response, when there is one, becomes the feedback's current one; the step is kept
    as a FeedbackEvent (who, when, from, to, response). `resolved_at` is set on the first
    move to resolved or closed, kept from one to the other, and cleared when the feedback
    is opened again or referred. Writers of one entry are serialised by its row lock.
    """
    now = now or utcnow()
    feedback = lock_row(session, feedback)
    errors: list[FieldError] = []
    if status not in FEEDBACK_STATUSES:
        errors.append(
            FieldError(
                "status",
                _l(
                    "Choose one of the statuses %(statuses)s.",
                    statuses=", ".join(FEEDBACK_STATUSES),
                ),
            )
        )
    elif status == feedback.status:
        errors.append(
            FieldError(
                "status",
                _l("Feedback %(number)s already has this status.", number=feedback.number),
            )
        )
    text = clean_response(errors, response, str(status))
    if errors:
        raise InvalidValues(errors)
    previous = feedback.status
    feedback.status = str(status)
    if text:
        feedback.response = text
    if feedback.status in ANSWERED:
        feedback.resolved_at = feedback.resolved_at or now
    else:
        feedback.resolved_at = None
    feedback.updated_at = now
    session.add(
        FeedbackEvent(
            feedback_id=feedback.id,
            from_status=previous,
            status=feedback.status,
            response=text,
            user_id=user.id if user is not None else None,
            created_at=now,
        )
    )
    session.flush()
    return feedback


def days_open(feedback: Feedback, now: datetime | None = None) -> int:
    """Whole days from when it was recorded until it was resolved (or closed), or until
    now while it is not."""
    end = as_utc(feedback.resolved_at) or as_utc(now) or utcnow()
    return max(0, (end - as_utc(feedback.created_at)).days)


# -- who reads what --------------------------------------------------------------------------


def _readable(query: Select[Any], user: User | None) -> Select[Any]:
    """Only what `user` may read: an administrator everything, a field officer the
    non-sensitive entries they recorded, anyone else nothing."""
    role = getattr(user, "role", None)
    if role == Role.ADMIN:
        return query
    if role == Role.FIELD and user is not None:
        return query.where(Feedback.created_by_id == user.id, Feedback.sensitive.is_(False))
    return query.where(false())


def may_read(user: User | None, feedback: Feedback) -> bool:
    """The rule of `_readable`, for an entry already loaded."""
    role = getattr(user, "role", None)
    if role == Role.ADMIN:
        return True
    return (
        role == Role.FIELD
        and user is not None
        and feedback.created_by_id == user.id
        and not feedback.sensitive
    )


def visible_feedback(
    session: Session,
    user: User | None,
    *,
    status: str | Iterable[str] | None = None,
    category: str | None = None,
) -> list[Feedback]:
    """The feedback `user` may read, oldest first, by status (one or several) and
    category."""
    query = _readable(select(Feedback), user).options(
        selectinload(Feedback.household),
        selectinload(Feedback.parcel),
        selectinload(Feedback.created_by),
    )
    if isinstance(status, str):
        query = query.where(Feedback.status == status)
    elif status is not None:
        query = query.where(Feedback.status.in_(list(status)))
    if category:
        query = query.where(Feedback.category == category)
    return list(session.scalars(query.order_by(Feedback.created_at, Feedback.id)))


def readable_entry(
    session: Session,
    user: User | None,
    *,
    feedback_id: int | None = None,
    number: str | None = None,
) -> Feedback:
    """One entry `user` may read, by id or number; NotFound (404) when there is none, or
    when it is not theirs to read (a field officer is not told that it exists)."""
    query = _readable(select(Feedback), user).options(
        selectinload(Feedback.events).selectinload(FeedbackEvent.user),
        selectinload(Feedback.household),
        selectinload(Feedback.parcel),
        selectinload(Feedback.created_by),
    )
    if feedback_id is not None:
        query = query.where(Feedback.id == feedback_id)
    else:
        query = query.where(Feedback.number == (number or "").strip().upper()[:16])
    feedback: Feedback | None = session.scalars(query).first()
    if feedback is None:
        raise NotFound(_l("There is no such feedback."))
    return feedback


def audit_sensitive_reads(
    session: Session,
    entries: Iterable[Feedback],
    *,
    user: Any,
    address: str | None,
    in_transaction: bool = False,
) -> None:
    """Log one reading of the sensitive entries among `entries` (their numbers only, never
    their text); nothing when there are none. The log line is committed at once
    (`record_look`), unless `in_transaction`: a request that already writes (SQLite's
    lock is its own) logs it in its own transaction."""
    numbers = sorted(e.number for e in entries if e.sensitive)
    if not numbers:
        return
    look = audit.record if in_transaction else audit.record_look
    look(
        session,
        SENSITIVE_READ,
        user=user,
        object_type="feedback",
        object_ref=numbers[0] if len(numbers) == 1 else "",
        detail={"numbers": numbers},
        address=address,
    )


__all__ = [
    "PUBLIC_LIMITS",
    "ANSWERED",
    "SENSITIVE_READ",
    "STAFF_CHANNELS",
    "WAITING",
    "Recorded",
    "TooMuchFeedback",
    "audit_sensitive_reads",
    "change_status",
    "clean_category",
    "clean_response",
    "clean_text",
    "days_open",
    "feedback_number",
    "likely_next_number",
    "may_read",
    "readable_entry",
    "record_feedback",
    "record_public_feedback",
    "source_key",
    "visible_feedback",
]
