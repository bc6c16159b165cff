"""The request is the unit of work: it commits once, after its view returns.

- A request's transaction begins before its first query (the permission check loads the
  user): a write request (POST, PUT, PATCH, DELETE) begins as a writer, which on SQLite
  takes the write lock up front (BEGIN IMMEDIATE). A view marked `@writes_late` begins as
  a reader and takes the lock itself when it is done reading (the spreadsheet import).
- When the view returns, whatever it wrote is committed, whatever the status of its
  answer: the answer says what happened (a refused scan is recorded and answered 409).
  Callbacks registered with `after_commit` then run (a background job that reads what
  the request wrote).
- When the view raises, nothing is committed: `kitlog.errors` rolls back and answers.
  PostgreSQL may end a transaction that deadlocked with another (two scans and a
  dispatch adding to the same kept figures in different orders) or could not be
  serialised: nothing of it was written, so the view runs again, up to ATTEMPTS times in
  all, before the error is answered.
  A view that catches a `DomainError` to show it (on a form, in a message) undoes what
  the request wrote with `discard()` (`KitlogForm.save` does).
- Steps that must be committed whatever the request answers run in
  `services.locking.transaction()` of their own: the login throttle's counters, a share
  link's use, the spreadsheet import's insert. Work outside requests (the `kitlog`
  commands, the import's background jobs) has its own sessions and transactions:
  docs/architecture.md, "Transactions".

This module's `_commit` is the only place of the web layer that commits.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, current_app, g, request
from sqlalchemy.exc import DBAPIError

from kitlog.extensions import db
from kitlog.services.locking import begin

WRITES_LATE_ATTR = "_kitlog_writes_late"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_AFTER_COMMIT = "_kitlog_after_commit"
# PostgreSQL's "deadlock detected" and "could not serialize access": the transaction was
# rolled back whole, and the same work may succeed when run again.
RETRIED_SQLSTATES = frozenset({"40P01", "40001"})
ATTEMPTS = 3


def writes_late(view: Callable) -> Callable:
    """Mark a write view that reads at length first (a 50,000-row file) and begins its
    write transaction itself, so it does not hold SQLite's write lock while it reads."""
    setattr(view, WRITES_LATE_ATTR, True)
    return view


def discard() -> None:
    """Undo what the request wrote so far: a refusal shown on a page leaves nothing."""
    db.session.rollback()
    _drop_callbacks()


def after_commit(callback: Callable[[], object], otherwise: Callable[[], object] | None = None):
    """Run `callback` once the request's work is committed; `otherwise` when it is not
    (the view or the commit failed, or the view discarded its work)."""
    g.setdefault(_AFTER_COMMIT, []).append((callback, otherwise))


def _drop_callbacks() -> None:
    for _callback, otherwise in g.pop(_AFTER_COMMIT, []):
        if otherwise is not None:
            otherwise()


def _begin() -> None:
    """Before the first query of the request (loading the user is one)."""
    if request.endpoint is None:  # 404 / 405: nothing to do
        return
    view = current_app.view_functions.get(request.endpoint)
    write = request.method not in SAFE_METHODS and not getattr(view, WRITES_LATE_ATTR, False)
    begin(db.session(), write=write)


def _commit(response: Response) -> Response:
    db.session.commit()
    for callback, _otherwise in g.pop(_AFTER_COMMIT, []):
        callback()
    return response


def _end(_error: BaseException | None) -> None:
    """A request that did not commit: what was to follow a commit does not happen."""
    _drop_callbacks()


class UnitOfWorkFlask(Flask):
    """A Flask app whose requests are each one unit of work (see the module)."""

    def dispatch_request(self):
        # Committed here, inside Flask's handling of the view's errors: a commit the
        # database refuses is answered like any other error (409, 503), not sent as done.
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return _commit(self.make_response(super().dispatch_request()))
            except DBAPIError as error:
                if attempt == ATTEMPTS or not _may_run_again(error):
                    raise
                db.session.rollback()
                _drop_callbacks()
        raise AssertionError("unreachable")  # pragma: no cover


def _may_run_again(error: DBAPIError) -> bool:
    """The database undid the whole transaction for a reason that running it again may
    not meet; an uploaded file's stream has been read, so its request is not run again."""
    return getattr(error.orig, "sqlstate", None) in RETRIED_SQLSTATES and not request.files


def init_app(app: Flask) -> None:
    """Begin each request's transaction before any other hook runs a query."""
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)
    app.teardown_request(_end)
