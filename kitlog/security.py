"""Who may do what: the one place where roles are checked.

Every endpoint must declare a permission with @require(...) or @public; the
before_request hook refuses any endpoint that declares none (deny unless granted).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, request
from flask_login import current_user

from kitlog.extensions import csrf, db, login_manager
from kitlog.models import Role, User
from kitlog.services import parcel_actions
from kitlog.services import users as user_service
from kitlog.unit_of_work import SAFE_METHODS

PUBLIC = "public"
AUTHENTICATED = "authenticated"
_ALL = frozenset(Role)

PERMISSIONS: dict[str, frozenset[str]] = {
    AUTHENTICATED: _ALL,
    "dashboard": _ALL,
    # the day of every round in progress, across warehouses: the programme manager's
    "dashboard.day": frozenset({Role.ADMIN}),
    "reference.read": frozenset({Role.ADMIN, Role.WAREHOUSE, Role.FIELD}),
    "reference.write": frozenset({Role.ADMIN}),
    "stock.read": frozenset({Role.ADMIN, Role.WAREHOUSE}),
    "stock.write": frozenset({Role.ADMIN, Role.WAREHOUSE}),
    "users.manage": frozenset({Role.ADMIN}),
    # Households hold personal data: never a donor's.
    "households.read": frozenset({Role.ADMIN, Role.FIELD}),
    "households.write": frozenset({Role.ADMIN, Role.FIELD}),
    "households.import": frozenset({Role.ADMIN, Role.FIELD}),
    "rounds.read": frozenset({Role.ADMIN, Role.WAREHOUSE, Role.FIELD}),
    "rounds.write": frozenset({Role.ADMIN}),
    "parcels.read": frozenset({Role.ADMIN, Role.WAREHOUSE, Role.FIELD}),
    "parcels.cancel": frozenset({Role.ADMIN}),
    # a delivery's signature or photo: who took the parcel, seen by those who deliver
    "parcels.proof": frozenset({Role.ADMIN, Role.FIELD}),
    # scans: the endpoint takes both kinds; each action checks its own permission
    "scans.write": frozenset({Role.ADMIN, Role.WAREHOUSE, Role.FIELD}),
    "scans.warehouse": frozenset({Role.ADMIN, Role.WAREHOUSE}),  # pack, load, return
    "scans.field": frozenset({Role.ADMIN, Role.FIELD}),  # deliver, fail
    "labels.print": frozenset({Role.ADMIN, Role.WAREHOUSE}),
    # household cards print the head's name: those who may read households, who hand
    # them out in the villages
    "cards.print": frozenset({Role.ADMIN, Role.FIELD}),
    "printers.manage": frozenset({Role.ADMIN, Role.WAREHOUSE}),
    "manifests.read": frozenset({Role.ADMIN, Role.WAREHOUSE, Role.FIELD}),
    "manifests.write": frozenset({Role.ADMIN, Role.WAREHOUSE}),
    # failed parcels still owed: the warehouse sees them without names or phones
    "follow_ups.read": frozenset({Role.ADMIN, Role.WAREHOUSE, Role.FIELD}),
    # a card mismatch is resolved by those who find out who took the parcel: not the
    # warehouse, which sees the follow-ups without names or phones
    "follow_ups.resolve": frozenset({Role.ADMIN, Role.FIELD}),
    # a donor reads (and shares) only their own donor's report: the views check which
    "reports.read": frozenset({Role.ADMIN, Role.DONOR}),
    "reports.share": frozenset({Role.ADMIN, Role.DONOR}),
    "audit.read": frozenset({Role.ADMIN}),
    # the official places' pick-lists, for the staff who fill in addresses and areas; a
    # donor reaches nothing but their own report
    "places.read": frozenset({Role.ADMIN, Role.WAREHOUSE, Role.FIELD}),
    "households.export": frozenset({Role.ADMIN}),  # personal data leaves kitlog: logged
    # a household's card looked up (a distribution site): the warehouse without names
    "cards.lookup": frozenset({Role.ADMIN, Role.WAREHOUSE, Role.FIELD}),
    # distribution sites: planned with the round, read by the staff
    "sites.read": frozenset({Role.ADMIN, Role.WAREHOUSE, Role.FIELD}),
    "sites.write": frozenset({Role.ADMIN}),
    # feedback and complaints: recorded by field officers (at the door) and whoever takes
    # a hotline call; read and answered as the feedback views say (sensitive: admin only)
    "feedback.record": frozenset({Role.ADMIN, Role.FIELD}),
    # the list and the entries: a field officer only the non-sensitive ones they recorded
    # (the service filters); answering them (status, response) is the administrator's
    "feedback.read": frozenset({Role.ADMIN, Role.FIELD}),
    "feedback.manage": frozenset({Role.ADMIN}),
    # post-distribution monitoring: the administrator draws the samples and reads the
    # results; the field officer surveys the sampled households (names: households.read)
    "pdm.manage": frozenset({Role.ADMIN}),
    "pdm.survey": frozenset({Role.ADMIN, Role.FIELD}),
}

PERMISSION_ATTR = "_kitlog_permission"


def require(permission: str) -> Callable:
    """Mark a view as needing a permission from PERMISSIONS."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def mark(view: Callable) -> Callable:
        setattr(view, PERMISSION_ATTR, permission)
        return view

    return mark


def public(view: Callable) -> Callable:
    """Mark a view as open to anyone, logged in or not."""
    setattr(view, PERMISSION_ATTR, PUBLIC)
    return view


def can(permission: str, user=None) -> bool:
    """May the user (default: the current one) act under this permission?"""
    user = user if user is not None else current_user
    if permission == PUBLIC:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    return user.role in PERMISSIONS.get(permission, frozenset())


def declare_public_endpoint(app: Flask, endpoint: str) -> None:
    """Open an endpoint whose view kitlog does not define (static files, API docs)."""
    app.extensions.setdefault("kitlog_public_endpoints", set()).add(endpoint)


def endpoint_permission(app: Flask, endpoint: str | None) -> str | None:
    """The permission an endpoint declared, or None when it declared none."""
    if endpoint is None:
        return None
    if endpoint == "static" or endpoint in app.extensions.get("kitlog_public_endpoints", ()):
        return PUBLIC
    view = app.view_functions.get(endpoint)
    return getattr(view, PERMISSION_ATTR, None)


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


@login_manager.user_loader
def _load_user(session_key: str) -> User | None:
    """The active user of a server-side login session that is not revoked (logged out, a
    new password, a deactivation) nor expired; the session cookie and the remember-me
    cookie both hold its key."""
    return user_service.user_for_session(db.session, session_key)


def same_origin_json() -> bool:
    """A JSON request that the browser says comes from one of kitlog's own pages.

    Browsers send Origin (or Sec-Fetch-Site) on every POST and a page on another site
    cannot forge either, nor send JSON cross-site without a CORS preflight that kitlog
    never grants. So the JSON API needs no CSRF token from a session, and an offline
    queue can replay scans days later, after any form token has expired.
    """
    if not request.is_json:
        return False
    origin = request.headers.get("Origin")
    if origin:
        return urlsplit(origin).netloc == request.host
    return request.headers.get("Sec-Fetch-Site") == "same-origin"


def _authenticate_bearer(token: str) -> None:
    """An API request with a bearer token acts as the token's user, whatever its cookies.

    A browser that is logged in and sends a revoked or wrong token gets 401, not the
    session's user.
    """
    user = user_service.user_for_token(db.session, token)
    if user is None:
        abort(401)
    login_manager._update_request_context_with_user(user)


def _check_access() -> None:
    """Runs before every request: CSRF for session writes, then the endpoint's permission."""
    app = current_app._get_current_object()
    if request.endpoint is None:  # 404 / 405: let Flask answer
        return
    permission = endpoint_permission(app, request.endpoint)
    if permission is None:
        app.logger.error("endpoint %s declares no permission: refused", request.endpoint)
        abort(403)
    token = bearer_token() if is_api_request() else None
    if token is not None:
        _authenticate_bearer(token)
    elif request.method not in SAFE_METHODS:
        if is_api_request() and permission != PUBLIC and not current_user.is_authenticated:
            abort(401)  # an API caller with no login hears so, not that a CSRF token is missing
        if not (is_api_request() and same_origin_json()):
            csrf.protect()
    if permission == PUBLIC:
        return
    if not current_user.is_authenticated:
        abort(401)
    if not can(permission):
        abort(403)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    app.before_request(_check_access)


# Which permission each scan action needs (docs/api.md, Scans), from the table of parcel
# actions: the warehouse packs, loads and takes returns; the field officer delivers and
# records failed deliveries.
SCAN_ACTION_PERMISSIONS = parcel_actions.PERMISSIONS
