"""Users, passwords (argon2), login sessions, login throttling and API tokens (stored as
SHA-256)."""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, contains_eager
from zxcvbn import zxcvbn

from kitlog.models import (
    LANGUAGES,
    ROLES,
    ApiToken,
    Donor,
    LoginThrottle,
    Role,
    User,
    UserSession,
)
from kitlog.models.base import as_utc, utcnow
from kitlog.services.errors import DomainError, Duplicate, InvalidValue

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{2,}$")
TOKEN_PREFIX = "kl_"  # noqa: S105 - a visible prefix, not a secret

_hasher = PasswordHasher()


def use_fast_hashing() -> None:
    """Cheap argon2 parameters, for the test suite only."""
    global _hasher
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


# zxcvbn's estimate (its lists of the most common passwords, words, names, keyboard
# patterns, dates and repeats) below this score is refused: 2 means about 10^6 guesses or more.
MIN_PASSWORD_SCORE = 2
ZXCVBN_MAX_LENGTH = 72  # zxcvbn refuses longer input; the start of a password is judged


def check_password_strength(
    password: str, field_name: str = "password", *, email: str | None = None
) -> None:
    """A password has 10 to 256 characters, is not the user's e-mail address or its part
    before the @, and is not one of the most common passwords or as easy to guess."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidValue(
            _l("Use at least %(n)s characters for the password.", n=MIN_PASSWORD_LENGTH),
            field=field_name,
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidValue(_l("That password is too long."), field=field_name)
    email = (email or "").strip().lower()
    local_part = email.partition("@")[0]
    plain = password.strip().lower()
    if email and plain in (email, local_part):
        raise InvalidValue(
            _l("Do not use your email address, or a part of it, as the password."),
            field=field_name,
        )
    inputs = [part for part in (email, local_part, *re.split(r"[@._+-]", email)) if part]
    estimate = zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=inputs)
    if estimate["score"] < MIN_PASSWORD_SCORE:
        raise InvalidValue(
            _l(
                "This password is one of the most common or is too easy to guess. "
                "Use a few unrelated words."
            ),
            field=field_name,
        )


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
    check_password_strength(password, email=email)
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
    """Change a user's profile and role; an admin cannot demote or lock out themself.

    Deactivating a user ends every session they have open, for good: reactivating them
    later does not bring those sessions back."""
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
    if user.active and not active:
        end_sessions(session, user)
    user.name, user.role, user.donor, user.language, user.active = (
        name,
        role,
        donor,
        language,
        active,
    )
    session.flush()
    return user


def set_password(
    session: Session,
    user: User,
    password: str,
    *,
    keep_session: str | None = None,
    keep_tokens: bool = False,
    now: datetime | None = None,
) -> User:
    """A new password ends every session the user has open, on every device, except the
    one that changed it (keep_session), and revokes their API tokens unless asked to keep
    them."""
    check_password_strength(password, email=user.email)
    now = now or utcnow()
    user.password_hash = hash_password(password)
    end_sessions(session, user, keep=keep_session, now=now)
    if not keep_tokens:
        session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session="fetch")
        )
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


# Every API request runs this: one statement, built once per process (only the hash is
# bound), that reads the user alone; a revoked token or an inactive user finds no row.
_USER_FOR_TOKEN = (
    select(User)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(
        ApiToken.token_hash == bindparam("token_hash"),
        ApiToken.revoked_at.is_(None),
        User.active.is_(True),
    )
)


def user_for_token(session: Session, token: str) -> User | None:
    """The active user a bearer token that is not revoked belongs to, or None."""
    if not token or len(token) > 200:
        return None
    return session.scalar(_USER_FOR_TOKEN, {"token_hash": _token_hash(token)})


def revoke_token(session: Session, token: ApiToken, now: datetime | None = None) -> None:
    token.revoked_at = now or utcnow()
    session.flush()


def new_password() -> str:
    """A password for a demo login: 16 URL-safe characters."""
    return secrets.token_urlsafe(12)


# -- login sessions ------------------------------------------------------------------------


def _session_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start_session(
    session: Session,
    user: User,
    *,
    remember: bool,
    lifetime: timedelta,
    now: datetime | None = None,
) -> UserSession:
    """A new login session for the user on one device; its random key (the cookie's value)
    is set on user.session_key and never stored. The user's ended sessions go."""
    now = now or utcnow()
    session.execute(
        delete(UserSession).where(
            UserSession.user_id == user.id,
            (UserSession.expires_at <= now) | UserSession.revoked_at.is_not(None),
        )
    )
    key = secrets.token_urlsafe(32)
    record = UserSession(
        user=user,
        key_hash=_session_key_hash(key),
        remember=remember,
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(record)
    session.flush()
    user.session_key = key
    return record


def user_for_session(session: Session, key: str, now: datetime | None = None) -> User | None:
    """The active user of a login session that is neither revoked nor expired, or None."""
    if not key or len(key) > 100:
        return None
    record = session.scalar(
        select(UserSession)
        .join(UserSession.user)
        .where(UserSession.key_hash == _session_key_hash(key))
        .options(contains_eager(UserSession.user))  # one statement, not two
    )
    if record is None or record.revoked_at is not None or not record.user.active:
        return None
    if as_utc(record.expires_at) <= (now or utcnow()):
        return None
    record.user.session_key = key
    return record.user


def end_session(session: Session, key: str | None, now: datetime | None = None) -> None:
    """Log out: the session's row is revoked, so a copy of its cookie stops working."""
    if not key:
        return
    session.execute(
        update(UserSession)
        .where(UserSession.key_hash == _session_key_hash(key), UserSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )


def end_sessions(
    session: Session, user: User, *, keep: str | None = None, now: datetime | None = None
) -> None:
    """Revoke every open session of the user, except the one whose key is `keep`."""
    query = update(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None)
    )
    if keep:
        query = query.where(UserSession.key_hash != _session_key_hash(keep))
    session.execute(
        query.values(revoked_at=now or utcnow()).execution_options(synchronize_session=False)
    )


# -- login throttling ----------------------------------------------------------------------


class LoginThrottled(DomainError):
    """Too many failed logins: wait `retry_after` seconds (429)."""

    status = 429

    def __init__(self, retry_after: int):
        retry_after = max(1, int(retry_after))
        if retry_after < 120:
            message = _l("Too many attempts. Wait %(n)s seconds and try again.", n=retry_after)
        else:
            message = _l("Too many attempts. Wait a few minutes and try again.")
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


@dataclass(frozen=True)
class ThrottleRules:
    """How many failed logins are allowed, and how long an attempt waits after them.

    - one address, one account: `pair_limit` failures per window, then 429 until the
      window ends (a guesser at one account is stopped);
    - one address, any account: `address_limit` failures per window, then 429 (a guesser
      trying many accounts is stopped; an office shares one address, hence more);
    - one account, any address: after `delay_after` failures in the window, an address
      that has itself failed for the account waits `delay_s` seconds after its last
      failure, doubling with each further failure on the account up to `max_delay_s`
      (guessing from many addresses slows down). An address that has not failed for the
      account is never delayed, so nobody can lock the owner or an administrator out of
      their account from somewhere else.
    """

    pair_limit: int = 5
    address_limit: int = 20
    window_s: int = 15 * 60
    delay_after: int = 5
    delay_s: int = 2
    max_delay_s: int = 60

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ThrottleRules:
        return cls(
            pair_limit=config["LOGIN_FAILURE_LIMIT"],
            address_limit=config["LOGIN_FAILURE_ADDRESS_LIMIT"],
            window_s=config["LOGIN_FAILURE_WINDOW_S"],
            delay_after=config["LOGIN_FAILURE_DELAY_AFTER"],
            delay_s=config["LOGIN_FAILURE_DELAY_S"],
            max_delay_s=config["LOGIN_FAILURE_DELAY_MAX_S"],
        )

    def delay(self, account_failures: int) -> int:
        """Seconds an address that has failed for the account waits after its last failure."""
        if account_failures < self.delay_after:
            return 0
        doublings = account_failures - self.delay_after
        return min(self.max_delay_s, self.delay_s << doublings)


def _throttle_keys(email: str, address: str) -> dict[str, str]:
    email = (email or "").strip().lower()[:254]
    address = (address or "unknown")[:64]
    return {"pair": f"{email} {address}", "account": email, "address": address}


def _lock_counter(session: Session, scope: str, key: str, now: datetime) -> LoginThrottle:
    """The counter row, created if missing, locked until the transaction ends (PostgreSQL:
    the upsert's row lock; SQLite: the write lock a login request holds from its start)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = insert(LoginThrottle).values(scope=scope, key=key, failures=0, window_started_at=now)
    statement = values.on_conflict_do_update(
        index_elements=["scope", "key"], set_={"key": values.excluded.key}
    ).returning(LoginThrottle)
    return session.scalars(statement, execution_options={"populate_existing": True}).one()


def forget_old_login_counters(
    session: Session, *, window_s: int, now: datetime | None = None
) -> None:
    """Counters whose window ended long ago go, without waiting for a row in use.

    Run in a transaction of its own: holding the deleted rows while waiting for another
    login's counters could deadlock with that login."""
    now = now or utcnow()
    old = select(LoginThrottle.id).where(
        LoginThrottle.window_started_at < now - timedelta(seconds=2 * window_s)
    )
    if session.get_bind().dialect.name == "postgresql":
        old = old.with_for_update(skip_locked=True)
    session.execute(
        delete(LoginThrottle)
        .where(LoginThrottle.id.in_(old.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )


def reserve_login_attempt(
    session: Session,
    *,
    email: str,
    address: str,
    rules: ThrottleRules,
    now: datetime | None = None,
) -> None:
    """Check the throttle and count this attempt as a failure, in one locked step, before
    the password is checked; raises LoginThrottled (nothing counted) when it must wait.

    The caller commits before checking the password, so concurrent attempts see the
    count at once; a right password then takes the count back (forgive_login_attempt).
    """
    now = now or utcnow()
    keys = _throttle_keys(email, address)
    # Always in this order (pair, account, address): two logins never wait on each other
    # in a circle.
    rows = {scope: _lock_counter(session, scope, key, now) for scope, key in keys.items()}
    window = timedelta(seconds=rules.window_s)
    for row in rows.values():
        if as_utc(row.window_started_at) + window <= now:
            row.failures, row.window_started_at, row.last_failure_at = 0, now, None
    pair, account, address_row = rows["pair"], rows["account"], rows["address"]

    def window_end(row: LoginThrottle) -> float:
        return (as_utc(row.window_started_at) + window - now).total_seconds()

    if pair.failures >= rules.pair_limit:
        raise LoginThrottled(math.ceil(window_end(pair)))
    if address_row.failures >= rules.address_limit:
        raise LoginThrottled(math.ceil(window_end(address_row)))
    if pair.failures and pair.last_failure_at is not None:
        ready_at = as_utc(pair.last_failure_at) + timedelta(seconds=rules.delay(account.failures))
        if ready_at > now:
            raise LoginThrottled(math.ceil((ready_at - now).total_seconds()))
    for row in rows.values():
        row.failures += 1
        row.last_failure_at = now
    session.flush()


def forgive_login_attempt(session: Session, *, email: str, address: str) -> None:
    """The right password: this address's failures for the account, this attempt's
    included, no longer count (for the account and the address either)."""
    keys = _throttle_keys(email, address)
    pair = session.execute(
        select(LoginThrottle)
        .where(LoginThrottle.scope == "pair", LoginThrottle.key == keys["pair"])
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if pair is None or not pair.failures:
        return
    forgiven = pair.failures
    session.execute(
        update(LoginThrottle)
        .where(
            ((LoginThrottle.scope == "account") & (LoginThrottle.key == keys["account"]))
            | ((LoginThrottle.scope == "address") & (LoginThrottle.key == keys["address"]))
        )
        .values(
            failures=case(
                (LoginThrottle.failures > forgiven, LoginThrottle.failures - forgiven), else_=0
            )
        )
        .execution_options(synchronize_session=False)
    )
    session.delete(pair)
    session.flush()


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None (same answer for both)."""
    user = session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None:
        _hasher.hash("timing-equaliser")  # as slow as a real check: no account probing
        return None
    if not verify_password(user, password) or not user.active:
        return None
    user.last_login_at = utcnow()
    return user
