"""Scans of parcels: the parcel state machine, idempotent and safe under concurrency.

INTERFACE (implementation pending): see the docstrings; other modules may rely on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from kitlog.models import Parcel, Scan, User


@dataclass(frozen=True)
class ScanInput:
    """One scan as a client sends it (API.md, Scans)."""

    code: str  # short code, token or whole QR URL
    action: str  # pack, load, deliver, fail, return
    idempotency_key: str
    scanned_at: datetime | None = None  # the device's clock
    manifest: str | None = None  # for load: the manifest's id or number
    lat: float | None = None
    lon: float | None = None
    recipient_name: str = ""
    recipient_relation: str = ""
    reason: str | None = None  # for fail: nobody_home, moved, refused, wrong_address, other
    note: str = ""


@dataclass
class ScanResult:
    """What a scan answered: outcome ok / refused / duplicate / unknown, and its HTTP status."""

    outcome: str
    status: int  # 200 ok (and its duplicates), 409 refused, 404 unknown code
    detail: str  # why it was refused, in the language of the first attempt; "" when ok
    scan: Scan
    parcel: Parcel | None


def record_scan(
    session: Session, data: ScanInput, *, user: User, now: datetime | None = None
) -> ScanResult:
    """Apply one scan and record it (accepted or refused); a known idempotency key repeats
    the first answer with outcome "duplicate". Raises InvalidValues for bad input
    (unknown action, fail without a reason, a key reused with another code or action)."""
    raise NotImplementedError


def allowed_actions(parcel: Parcel) -> list[str]:
    """The actions the parcel's state allows now, whoever asks (roles are checked by the
    caller with kitlog.security.SCAN_ACTION_PERMISSIONS)."""
    raise NotImplementedError
