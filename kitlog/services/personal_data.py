"""Reading households' personal data: lists mask it, every read is logged, and one user
reads at most so many households' records an hour.

A list shows the NIK and the phone masked to their last four digits; one household's
record shows them in full. Every list page read is an audit event (`households.list`:
how many, which page, which filter, never the NIK searched), every record opened is one
too (`household.view`). The hourly limit is counted from those events, so it holds
across every worker and server.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from kitlog.models import AuditEvent, Role
from kitlog.models.base import as_utc
from kitlog.services import audit
from kitlog.services.errors import DomainError
from kitlog.services.households import search_kind

LIST_ACTION = "households.list"
VIEW_ACTION = "household.view"
WINDOW = timedelta(hours=1)
# An officer searches and opens a few households an hour; 500 records is ten pages of
# the household list, or one page of 500 through the API. A scraper is stopped there.
# Administrators have a higher limit, and the logged export for everything.
READS_PER_HOUR = 500
ADMIN_READS_PER_HOUR = 5000
KEPT_DIGITS = 4


class TooManyReads(DomainError):
    """The user has read as many households' records as an hour allows (429)."""

    status = 429

    def __init__(self, message: str | LazyString, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class ListFilter:
    """What a list was filtered by, as the audit log keeps it: no NIK, no name."""

    q: str = ""
    province: str | None = None
    regency: str | None = None

    def as_detail(self) -> dict[str, str]:
        detail: dict[str, str] = {}
        kind = search_kind(self.q)
        if kind == "code":
            detail["code"] = self.q.strip()[:32]
        elif kind:
            detail["search"] = kind  # "nik" or "text": that a NIK or a name was searched
        if self.province:
            detail["province"] = self.province[:100]
        if self.regency:
            detail["regency"] = self.regency[:100]
        return detail


def mask_nik(nik: str | None) -> str:
    """A NIK in a list: every digit but the last four hidden (`************1234`)."""
    if not nik:
        return ""
    return "*" * max(len(nik) - KEPT_DIGITS, 0) + nik[-KEPT_DIGITS:]


def mask_phone(phone: str | None) -> str:
    """A phone number in a list: the country code and the last four digits
    (`+62*******5678`)."""
    if not phone:
        return ""
    prefix = "+62" if phone.startswith("+62") else ""
    middle = phone[len(prefix) : -KEPT_DIGITS]
    return prefix + "*" * len(middle) + phone[-KEPT_DIGITS:]


def reads_per_hour(user: Any) -> int:
    """The household records a user may read in an hour: administrators read more."""
    return ADMIN_READS_PER_HOUR if getattr(user, "role", "") == Role.ADMIN else READS_PER_HOUR


def _records(action: str, detail: str) -> int:
    if action == VIEW_ACTION:
        return 1
    try:
        value = json.loads(detail or "{}")
    except ValueError:
        return 0
    count = value.get("count", 0) if isinstance(value, dict) else 0
    return count if isinstance(count, int) and count > 0 else 0


def check_reads(session: Session, user: Any, records: int, *, now: datetime) -> None:
    """Refuse (TooManyReads) a read that would take the user past their hourly limit of
    household records, counted from their audited reads of the last hour."""
    if records <= 0 or getattr(user, "id", None) is None:
        return
    since = now - WINDOW
    rows = session.execute(
        select(AuditEvent.created_at, AuditEvent.action, AuditEvent.detail)
        .where(
            AuditEvent.user_id == user.id,
            AuditEvent.action.in_((LIST_ACTION, VIEW_ACTION)),
            AuditEvent.created_at >= since,
        )
        .order_by(AuditEvent.created_at)
    ).all()
    limit = reads_per_hour(user)
    total = sum(_records(action, detail) for _at, action, detail in rows)
    if total + records <= limit:
        return
    # Room comes back as the oldest reads leave the hour: wait until enough have.
    wait_until = now + WINDOW
    freed = 0
    for at, action, detail in rows:
        freed += _records(action, detail)
        if total - freed + records <= limit:
            wait_until = as_utc(at) + WINDOW
            break
    retry_after = max(1, math.ceil((wait_until - now).total_seconds()))
    minutes = max(1, math.ceil(retry_after / 60))
    raise TooManyReads(
        _l(
            "You have read the records of %(count)s households in the last hour, the most"
            " allowed. Try again in %(minutes)s minutes. An administrator can export every"
            " household's data.",
            count=total,
            minutes=minutes,
        ),
        retry_after=retry_after,
    )


def record_list_read(
    session: Session,
    *,
    user: Any,
    count: int,
    page: int,
    per_page: int,
    list_filter: ListFilter,
    address: str | None,
    now: datetime,
) -> None:
    """Check the user's hourly limit, then log a page of the household list (how many,
    which page, which filter), committed at once."""
    check_reads(session, user, count, now=now)
    audit.record_look(
        session,
        LIST_ACTION,
        user=user,
        object_type="household",
        detail={
            "count": count,
            "page": page,
            "per_page": per_page,
            "filter": list_filter.as_detail(),
        },
        address=address,
    )


def record_view(
    session: Session, household_code: str, *, user: Any, address: str | None, now: datetime
) -> None:
    """Check the user's hourly limit, then log that they opened one household's record."""
    check_reads(session, user, 1, now=now)
    audit.record_look(
        session,
        VIEW_ACTION,
        user=user,
        object_type="household",
        object_ref=household_code,
        address=address,
    )
