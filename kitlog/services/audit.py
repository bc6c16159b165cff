"""The audit log: corrections, role changes, exports of personal data and looks at
household records, with who, from where and when.

Writes add one `AuditEvent` in the caller's transaction, so an act and its record are
committed, or rolled back, together. Nothing here edits or deletes an event: the
database refuses it (triggers on audit_events).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any, Required, TypedDict, Unpack

from flask_babel import lazy_gettext as _l
from sqlalchemy import Engine, Select, func, insert, null, select
from sqlalchemy.orm import Session

from kitlog.documents.spreadsheets import Column, Table
from kitlog.models import VULNERABILITIES, AuditEvent, Household, User
from kitlog.models.base import table_of, utcnow
from kitlog.services.households import HOUSEHOLD_FIELDS

MAX_ADDRESS = 64


def _actor(user: Any) -> tuple[int | None, str]:
    """The id and role of whoever acts: a user, Flask-Login's proxy, or None (a command)."""
    if user is None or not getattr(user, "is_authenticated", True):
        return None, ""
    return getattr(user, "id", None), getattr(user, "role", "") or ""


class EventFields(TypedDict, total=False):
    """What an event says besides its action: who acts (a user, Flask-Login's proxy, or
    None for a command), what it is about, `detail` (codes, ids and counts, never personal
    data) and the address the request came from."""

    user: Required[Any]
    object_type: str
    object_ref: str | int
    detail: Mapping[str, object] | None
    address: str | None


def _values(action: str, fields: EventFields) -> dict[str, object]:
    """An event's columns."""
    user_id, role = _actor(fields["user"])
    return {
        "action": action,
        "object_type": fields.get("object_type", ""),
        "object_ref": str(fields.get("object_ref", ""))[:64],
        "detail": json.dumps(
            fields.get("detail") or {}, sort_keys=True, default=str, ensure_ascii=False
        ),
        "user_id": user_id,
        "role": role,
        "address": (fields.get("address") or "")[:MAX_ADDRESS],
    }


def record(session: Session, action: str, **fields: Unpack[EventFields]) -> AuditEvent:
    """Add one event to the log in the caller's transaction (flushed, not committed)."""
    event = AuditEvent(**_values(action, fields))
    session.add(event)
    session.flush()
    return event


def record_look(session: Session, action: str, **fields: Unpack[EventFields]) -> None:
    """Log that someone looked at a record, committed at once in a transaction of its own.

    A page that only reads began its transaction as a reader; on SQLite such a
    transaction cannot safely become a writer while others write (it would fail instead of
    waiting), so the look is written through a short writer transaction of its own.
    """
    values = _values(action, fields)
    with session.get_bind().engine.begin() as connection:
        connection.execute(insert(table_of(AuditEvent)).values(**values, created_at=utcnow()))


def user_change(
    session: Session, target: User, *, role: str, active: bool, user: Any, address: str | None
) -> AuditEvent | None:
    """Record a change of a user's role or of whether they can log in, before it is made
    (same transaction); None when neither changes."""
    detail: dict[str, list[object]] = {}
    if role != target.role:
        detail["role"] = [target.role, role]
    if bool(active) != bool(target.active):
        detail["active"] = [bool(target.active), bool(active)]
    if not detail:
        return None
    if "role" in detail:
        action = "user.role_change"
    else:
        action = "user.reactivate" if active else "user.deactivate"
    return record(
        session,
        action,
        user=user,
        object_type="user",
        object_ref=target.id,
        detail=detail,
        address=address,
    )


def printed_names(
    session: Session,
    document: str,
    *,
    names: int,
    user: Any,
    object_type: str,
    object_ref: str | int,
    address: str | None,
) -> None:
    """Log a printed document (a waybill, a label sheet) that carries heads of households'
    names, with how many: paper leaves the system too. Nothing is logged for none."""
    if names:
        record_look(
            session,
            "print.names",
            user=user,
            object_type=object_type,
            object_ref=object_ref,
            detail={"document": document, "names": names},
            address=address,
        )


# -- reading the log -----------------------------------------------------------------------


def events_query(*, action: str | None = None, user_id: int | None = None) -> Select[AuditEvent]:
    """The log, newest first; filtered by action and by the acting user."""
    query = select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action == action)
    if user_id is not None:
        query = query.where(AuditEvent.user_id == user_id)
    return query


def logged_actions(session: Session) -> list[str]:
    """Every action the log holds, for the filter."""
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def logged_users(session: Session) -> list[User]:
    """Every user who has an event in the log, by name, for the filter."""
    ids = select(AuditEvent.user_id).where(AuditEvent.user_id.is_not(None)).distinct()
    return list(session.scalars(select(User).where(User.id.in_(ids)).order_by(User.name)))


def event_detail(event: AuditEvent) -> dict[str, object]:
    try:
        value = json.loads(event.detail or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# -- the one bulk export of personal data --------------------------------------------------


# (key, header, HXL hashtag): the household's code, every field of a household in the
# order HouseholdValues declares them, and when it was registered.
EXPORT_COLUMNS = (
    ("code", _l("Household code"), "#household+code"),
    *((name, field.label, field.tag) for name, field in HOUSEHOLD_FIELDS),
    ("created_at", _l("Registered at"), "#date+registered"),
)


# The export's columns by Household attribute (vulnerabilities: made from the four flags).
_EXPORT_KEYS = tuple(key for key, _label, _tag in EXPORT_COLUMNS)


def personal_data_export(session: Session, *, user: Any, address: str | None) -> Table:
    """The columns of the export of every household, and an `export.personal_data` event
    saying who takes how many rows (the households counted in the caller's transaction).

    The caller commits the event before the first row is sent, so no export goes
    unlogged; the rows are then read by `personal_data_rows` as they are sent. A household
    registered in between is sent too, and is not in the count."""
    count = session.scalar(select(func.count()).select_from(Household))
    record(
        session,
        "export.personal_data",
        user=user,
        object_type="household",
        detail={"rows": count, "format": "csv"},
        address=address,
    )
    return Table(
        key="households",
        title=str(_l("Households")),
        columns=tuple(Column(str(label), tag) for _key, label, tag in EXPORT_COLUMNS),
        rows=(),
    )


def personal_data_rows(engine: Engine) -> Iterator[tuple[object, ...]]:
    """Every household's values, in code order, read 1,000 at a time in a session of their
    own: a long export streams after the request's session is gone, never held whole.
    Columns, not ORM objects: an export of 200,000 households must fit in a request."""
    flags = [getattr(Household, name) for name in VULNERABILITIES]
    query = (
        select(
            *(
                null().label(key) if key == "vulnerabilities" else getattr(Household, key)
                for key in _EXPORT_KEYS
            ),
            *flags,
        )
        .order_by(Household.code)
        .execution_options(yield_per=1000)
    )
    width = len(_EXPORT_KEYS)
    vulnerabilities_at = _EXPORT_KEYS.index("vulnerabilities")
    consent_at = _EXPORT_KEYS.index("consent")
    with Session(engine) as session:
        for row in session.execute(query):
            values = list(row[:width])
            values[vulnerabilities_at] = " ".join(
                name for name, flag in zip(VULNERABILITIES, row[width:], strict=True) if flag
            )
            values[consent_at] = "yes" if values[consent_at] else "no"
            yield tuple(values)
