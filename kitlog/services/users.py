"""Users, passwords (argon2) and API tokens (stored as SHA-256)."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, joinedload

from kitlog.models import LANGUAGES, ROLES, ApiToken, Donor, LoginFailure, Role, User
from kitlog.models.base import utcnow
from kitlog.services.errors import Duplicate, InvalidValue

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{2,}$")
TOKEN_PREFIX = "kl_"  # noqa: S105 - a visible prefix, not a secret

_hasher = PasswordHasher()


def use_fast_hashing() -> None:
    """Cheap argon2 parameters, for the test suite only."""
    global _hasher
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def check_password_strength(password: str, field_name: str = "password") -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidValue(
            _l("Use at least %(n)s characters for the password.", n=MIN_PASSWORD_LENGTH),
            field=field_name,
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidValue(_l("That password is too long."), field=field_name)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    """True when the password matches; upgrades an outdated hash in place."""
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


def normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise InvalidValue(_l("Enter a valid email address."), field="email")
    return email


def _check_role(role: str, donor: Donor | None) -> None:
    if role not in ROLES:
        raise InvalidValue(_l("Choose a role."), field="role")
    if role == Role.DONOR and donor is None:
        raise InvalidValue(_l("A donor user must be linked to a donor."), field="donor")
    if role != Role.DONOR and donor is not None:
        raise InvalidValue(_l("Only donor users are linked to a donor."), field="donor")


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    role: str,
    name: str = "",
    donor: Donor | None = None,
    language: str = "id",
) -> User:
    """A user with one role; a donor user is bound to exactly one donor."""
    email = normalise_email(email)
    _check_role(role, donor)
    check_password_strength(password)
    if language not in LANGUAGES:
        raise InvalidValue(_l("Choose Bahasa Indonesia or English."), field="language")
    name = (name or "").strip() or email.split("@")[0]
    if len(name) > 120:
        raise InvalidValue(_l("Keep this under %(n)s characters.", n=120), field="name")
    if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise Duplicate(_l("A user with this email already exists."), field="email")
    user = User(
        email=email,
        name=name,
        role=role,
        donor=donor,
        language=language,
        password_hash=hash_password(password),
        active=True,
    )
    session.add(user)
    session.flush()
    return user


def update_user(
    session: Session,
    user: User,
    *,
    name: str,
    role: str,
    donor: Donor | None,
    language: str,
    active: bool,
    acting: User,
) -> User:
    """Change a user's profile and role; an admin cannot demote or lock out themself."""
    _check_role(role, donor)
    if language not in LANGUAGES:
        raise InvalidValue(_l("Choose Bahasa Indonesia or English."), field="language")
    if user.id == acting.id and (role != user.role or not active):
        raise InvalidValue(
            _l("You cannot change your own role or deactivate yourself."), field="role"
        )
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise InvalidValue(_l("Enter a name of up to 120 characters."), field="name")
    user.name, user.role, user.donor, user.language, user.active = (
        name,
        role,
        donor,
        language,
        active,
    )
    session.flush()
    return user


def set_password(session: Session, user: User, password: str) -> User:
    """A new password ends every session the user has open, on every device."""
    check_password_strength(password)
    user.password_hash = hash_password(password)
    user.session_version = (user.session_version or 1) + 1
    session.flush()
    return user


def set_language(session: Session, user: User, language: str) -> User:
    if language not in LANGUAGES:
        raise InvalidValue(_l("Choose Bahasa Indonesia or English."), field="language")
    user.language = language
    session.flush()
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, name: str = "cli") -> tuple[ApiToken, str]:
    """A new bearer token for the user; the plain token is returned once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(
        user=user, name=(name or "token")[:80], token_hash=_token_hash(token), prefix=token[:10]
    )
    session.add(record)
    session.flush()
    return record, token


def user_for_token(session: Session, token: str) -> User | None:
    """The active user a bearer token belongs to, or None."""
    if not token or len(token) > 200:
        return None
    record = session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == _token_hash(token))
        .options(joinedload(ApiToken.user, innerjoin=True))  # one statement, not two
    )
    if record is None or record.revoked_at is not None or not record.user.active:
        return None
    return record.user


def revoke_token(session: Session, token: ApiToken, now: datetime | None = None) -> None:
    token.revoked_at = now or utcnow()
    session.flush()


def new_password() -> str:
    """A password for a demo login: 16 URL-safe characters."""
    return secrets.token_urlsafe(12)


def login_throttled(
    session: Session,
    *,
    email: str,
    address: str,
    limit: int,
    window_s: int,
    now: datetime | None = None,
) -> bool:
    """True when this account, or this address, failed too often within the window.

    The address gets four times the account's allowance (several officers share one
    office connection).
    """
    since = (now or utcnow()) - timedelta(seconds=window_s)
    email = (email or "").strip().lower()[:254]
    by_email = session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.email == email, LoginFailure.created_at >= since)
    )
    by_address = session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.address == address, LoginFailure.created_at >= since)
    )
    return by_email >= limit or by_address >= 4 * limit


def record_login_failure(
    session: Session, *, email: str, address: str, window_s: int, now: datetime | None = None
) -> None:
    """Count a failed login; failures older than the window no longer matter and go."""
    now = now or utcnow()
    session.execute(
        delete(LoginFailure).where(LoginFailure.created_at < now - timedelta(seconds=window_s))
    )
    session.add(
        LoginFailure(
            email=(email or "").strip().lower()[:254],
            address=(address or "")[:64],
            created_at=now,
        )
    )
    session.flush()


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None (same answer for both)."""
    user = session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None:
        _hasher.hash("timing-equaliser")  # as slow as a real check: no account probing
        return None
    if not verify_password(user, password) or not user.active:
        return None
    session.execute(delete(LoginFailure).where(LoginFailure.email == user.email))
    user.last_login_at = utcnow()
    return user
