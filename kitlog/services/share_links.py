"""Read-only links to one donor's aggregated report, for someone without an account.

The token is made here and handed back once; only its SHA-256 is stored, so a copy of
the database opens no report. A link works until it expires or is revoked, and every use
is counted (last used, uses). Its page opens in the language its creator chose for it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from kitlog.models import LANGUAGES, Donor, ShareLink, User
from kitlog.models.base import as_utc, utcnow
from kitlog.services.errors import InvalidValue

TOKEN_BYTES = 24  # 192 random bits, 32 URL-safe characters
MIN_DAYS, MAX_DAYS, DEFAULT_DAYS = 1, 90, 30
MAX_LABEL = 120


def hash_token(token: str) -> str:
    """The hex SHA-256 that is stored in place of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_share_link(
    session: Session,
    donor: Donor,
    *,
    label: str,
    days: int = DEFAULT_DAYS,
    language: str = "id",
    user: User | None,
    now: datetime | None = None,
) -> tuple[ShareLink, str]:
    """A new link to the donor's report in `language`, valid `days` days (1 to 90); returns
    the link and its token, which is never stored and cannot be shown again."""
    label = " ".join((label or "").split())
    if not label:
        raise InvalidValue(_l("Say who the link is for."), field="label")
    if len(label) > MAX_LABEL:
        raise InvalidValue(
            _l("Keep the label under %(n)s characters.", n=MAX_LABEL + 1), field="label"
        )
    if isinstance(days, bool) or not isinstance(days, int) or not MIN_DAYS <= days <= MAX_DAYS:
        raise InvalidValue(
            _l("A link lasts from %(low)s to %(high)s days.", low=MIN_DAYS, high=MAX_DAYS),
            field="days",
        )
    if language not in LANGUAGES:
        raise InvalidValue(_l("Choose the report's language."), field="language")
    now = now or utcnow()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = ShareLink(
        donor=donor,
        token_hash=hash_token(token),
        label=label,
        language=language,
        expires_at=now + timedelta(days=days),
        uses=0,
        created_by=user,
        created_at=now,
    )
    session.add(link)
    session.flush()
    return link, token


def _valid(now: datetime) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (ShareLink.revoked_at.is_(None), ShareLink.expires_at > now)


def open_share_link(
    session: Session, token: str, *, now: datetime | None = None
) -> ShareLink | None:
    """The link a token opens (its donor, its language), counting the use; None when the
    token is unknown, expired or revoked (the caller answers the same 404 for all three)."""
    if not isinstance(token, str) or not 16 <= len(token) <= 100:
        return None
    now = now or utcnow()
    link_id = session.execute(
        update(ShareLink)
        .where(ShareLink.token_hash == hash_token(token), *_valid(now))
        .values(uses=ShareLink.uses + 1, last_used_at=now)
        .returning(ShareLink.id)
    ).scalar()
    if link_id is None:
        return None
    return session.get(ShareLink, link_id)


def share_links_for(session: Session, donor: Donor) -> list[ShareLink]:
    """The donor's links, newest first, revoked and expired ones included."""
    return list(
        session.scalars(
            select(ShareLink)
            .where(ShareLink.donor_id == donor.id)
            .order_by(ShareLink.created_at.desc(), ShareLink.id.desc())
        )
    )


def revoke_share_link(
    session: Session, link: ShareLink, *, user: User | None, now: datetime | None = None
) -> ShareLink:
    """Stop a link from working at once; revoking it again changes nothing."""
    if link.revoked_at is None:
        link.revoked_at = now or utcnow()
        link.revoked_by = user
        session.flush()
    return link


def is_active(link: ShareLink, now: datetime | None = None) -> bool:
    """Neither revoked nor expired."""
    now = now or utcnow()
    return link.revoked_at is None and as_utc(link.expires_at) > now
