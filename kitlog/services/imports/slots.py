"""How many files are checked at once: one of a user's at a time, in every worker and on
every server, and a few per worker process (reading a large file is the costly part).
"""

from __future__ import annotations

import threading
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from kitlog.models import HouseholdImport, ImportStatus, User
from kitlog.services.errors import DomainError
from kitlog.services.imports.jobs import is_interrupted
from kitlog.services.locking import HeldLock

MAX_CHECKS_PER_PROCESS = 2  # files read and checked at once by one worker process


class ImportBusy(DomainError):
    """An import of this user's is being checked, or this worker checks as many as it may
    (429): nothing was read, try again in a moment."""

    status = 429


class CheckSlot:
    """A claim on one of the worker's checks and on the user's one check across every
    worker (HeldLock); released once, whoever releases it."""

    _lock = threading.Lock()
    _users: set[int] = set()

    def __init__(self, user_id: int, held: HeldLock | None = None):
        self.user_id = user_id
        self._held = held
        self._released = False

    @classmethod
    def claim(cls, user_id: int, session: Session | None = None) -> CheckSlot:
        with cls._lock:
            if user_id in cls._users:
                raise ImportBusy(BUSY_USER)
            if len(cls._users) >= MAX_CHECKS_PER_PROCESS:
                raise ImportBusy(
                    _l(
                        "The server is already checking %(count)s imports. Try again in a"
                        " minute: nothing was imported.",
                        count=MAX_CHECKS_PER_PROCESS,
                    )
                )
            cls._users.add(user_id)
        slot = cls(user_id)
        if session is not None:
            try:
                slot._held = HeldLock.try_take(session, IMPORT_CHECK_LOCK, user_id)
            except BaseException:
                slot.release()
                raise
            if slot._held is None:  # another worker is checking a file of this user's
                slot.release()
                raise ImportBusy(BUSY_USER)
        return slot

    def release(self) -> None:
        with self._lock:
            if self._released:
                return
            self._released = True
            self._users.discard(self.user_id)
        if self._held is not None:
            self._held.release()

    def __enter__(self) -> CheckSlot:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()


# The HeldLock scope of "a file of this user's is being checked" (the key is the user's id).
IMPORT_CHECK_LOCK = 0x6B6C_0001


BUSY_USER = _l(
    "An import of yours is already being checked. Wait until it is finished, then upload"
    " the next file: nothing was imported."
)


def claim_check(session: Session, user: User, *, now: datetime | None = None) -> CheckSlot:
    """One file checked at a time per user, in every worker and on every server (the pages'
    jobs in the database, and a HeldLock for the API's checks and the pages'), and at most
    MAX_CHECKS_PER_PROCESS per worker; ImportBusy otherwise. Release the slot when the
    check ends."""
    checking = session.scalars(
        select(HouseholdImport).where(
            HouseholdImport.user_id == user.id,
            HouseholdImport.status == ImportStatus.VALIDATING,
        )
    ).all()
    if any(not is_interrupted(job, now=now) for job in checking):
        raise ImportBusy(BUSY_USER)
    return CheckSlot.claim(user.id, session)
