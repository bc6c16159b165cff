"""The request is the unit of work: it commits once, when its view returns, and nothing
when the view raises or shows a refusal; the web layer commits in one place only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask import Blueprint
from sqlalchemy import create_engine, select
from wtforms import StringField

from kitlog import create_app
from kitlog.extensions import db
from kitlog.forms import KitlogForm
from kitlog.models import Donor
from kitlog.security import public
from kitlog.services import reference
from kitlog.services.errors import InvalidValue
from kitlog.unit_of_work import after_commit, discard

KITLOG = Path(__file__).resolve().parent.parent / "kitlog"
NOT_WEB = ("services", "models", "documents")
# The one commit of the web layer.
COMMIT_SITES = {"unit_of_work.py": {"_commit"}}
# Rolling back on an exception: the request's errors, the one helper for a refusal a page
# shows, and a deadlocked transaction before its view runs again.
ROLLBACK_SITES = {
    "unit_of_work.py": {"discard", "UnitOfWorkFlask"},
    "errors.py": {"init_app"},
}
# The steps a request commits on their own, whatever it answers: the login throttle's
# counters, a share link's use (counted before its report is built), the API import's
# insert after its long read, and a card print's issue of the cards it prints (a GET: on
# SQLite a read transaction cannot safely become a writer).
OWN_TRANSACTIONS = {
    "blueprints/api/cards.py",
    "blueprints/cards/routes.py",
    "blueprints/auth/routes.py",
    "blueprints/reports/routes.py",
    "blueprints/reports/exports.py",
    "blueprints/api/imports.py",
}


def _web_modules():
    for path in sorted(KITLOG.rglob("*.py")):
        relative = path.relative_to(KITLOG).as_posix()
        if relative.split("/")[0] in NOT_WEB or relative == "cli.py":
            continue
        yield relative, ast.parse(path.read_text(encoding="utf-8"))


def _calls(tree, name: str):
    """(the top-level function around it, the call) for each call of `.name(...)` or
    `name(...)`."""
    for top in tree.body:
        for node in ast.walk(top):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if called == name:
                yield getattr(top, "name", "<module>"), node


def _sites(name: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for relative, tree in _web_modules():
        for function, _call in _calls(tree, name):
            found.setdefault(relative, set()).add(function)
    return found


def test_the_web_layer_commits_in_one_place():
    assert _sites("commit") == COMMIT_SITES


def test_the_web_layer_rolls_back_only_on_errors_and_through_discard():
    assert _sites("rollback") == ROLLBACK_SITES


def test_only_the_known_steps_run_transactions_of_their_own():
    assert set(_sites("transaction")) == OWN_TRANSACTIONS
    assert not _sites("begin_write")  # a request begins as a writer before its first query


def test_a_savepoint_in_a_view_is_a_with_block():
    """A batch whose items stand alone undoes a refused item with a savepoint, entered as
    a context (committed or rolled back by SQLAlchemy, never by hand)."""
    for relative, tree in _web_modules():
        managed = {
            id(item.context_expr)
            for node in ast.walk(tree)
            if isinstance(node, ast.With)
            for item in node.items
        }
        for _function, call in _calls(tree, "begin_nested"):
            assert id(call) in managed, f"{relative}:{call.lineno}"


def test_the_checks_see_a_second_commit():
    """The AST check finds a commit the way a view would write one."""
    tree = ast.parse("def view():\n    db.session.commit()\n")
    assert [name for name, _call in _calls(tree, "commit")] == ["view"]


# -- requests -----------------------------------------------------------------------------


class _DonorForm(KitlogForm):
    code = StringField()


def _write(code: str) -> None:
    reference.create_donor(db.session, code=code, name=code)
    db.session.flush()


def _routes(calls: list[str]) -> Blueprint:
    bp = Blueprint("unit_of_work_test", __name__)

    @bp.post("/t/ok")
    @public
    def ok():
        _write("WROTE-OK")
        return "done", 201

    @bp.post("/t/refused")
    @public
    def refused():
        _write("WROTE-REFUSED")
        raise InvalidValue("no", field="code")

    @bp.post("/t/broken")
    @public
    def broken():
        _write("WROTE-BROKEN")
        raise RuntimeError("a bug after the write")

    @bp.post("/t/form")
    @public
    def form():
        page = _DonorForm()

        def service():
            _write("WROTE-FORM")
            raise InvalidValue("taken", field="code")

        saved = page.save(service)
        assert saved is None
        return f"shown: {page.code.errors}", 200

    @bp.post("/t/refused-at-commit")
    @public
    def refused_at_commit():
        for name in ("first", "second"):  # the same code twice, flushed only by the commit
            db.session.add(Donor(code="WROTE-TWICE", name=name))
        return "done", 201

    @bp.post("/t/discarded")
    @public
    def discarded():
        _write("WROTE-DISCARDED")
        after_commit(lambda: calls.append("committed"), otherwise=lambda: calls.append("not"))
        discard()
        return "refused", 302, {"Location": "/"}

    @bp.post("/t/then")
    @public
    def then():
        _write("WROTE-THEN")
        engine = db.engine

        def seen():  # another connection sees the row: the request has committed
            with engine.connect() as connection:
                found = connection.scalar(select(Donor.code).where(Donor.code == "WROTE-THEN"))
            calls.append(f"after commit: {found}")

        after_commit(seen, otherwise=lambda: calls.append("not"))
        return "done", 201

    return bp


@pytest.fixture
def world(database_url, tmp_path):
    calls: list[str] = []
    app = create_app(
        {"DATABASE_URL": database_url, "WTF_CSRF_ENABLED": False, "WTF_CSRF_METHODS": []},
        instance_path=str(tmp_path / "instance"),
    )
    app.register_blueprint(_routes(calls))
    with app.app_context():
        yield app, calls
        db.session.remove()
        db.engine.dispose()


def _stored(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return set(connection.scalars(select(Donor.code).where(Donor.code.like("WROTE-%"))))
    finally:
        engine.dispose()


def test_a_view_that_returns_is_committed(world, database_url):
    app, _calls = world
    assert app.test_client().post("/t/ok").status_code == 201
    assert _stored(database_url) == {"WROTE-OK"}


def test_a_refusal_raised_after_a_write_leaves_nothing(world, database_url):
    app, _calls = world
    assert app.test_client().post("/t/refused").status_code == 422
    assert _stored(database_url) == set()


def test_a_view_that_fails_after_a_write_leaves_nothing(world, database_url):
    app, _calls = world
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert app.test_client().post("/t/broken").status_code == 500
    assert _stored(database_url) == set()


def test_a_commit_the_database_refuses_is_answered_as_an_error(world, database_url):
    app, _calls = world
    assert app.test_client().post("/t/refused-at-commit").status_code == 409
    assert _stored(database_url) == set()


def test_a_refusal_shown_on_a_form_leaves_nothing(world, database_url):
    app, _calls = world
    response = app.test_client().post("/t/form", data={"code": "X"})
    assert response.status_code == 200
    assert "taken" in response.get_data(as_text=True)
    assert _stored(database_url) == set()


def test_discard_undoes_the_write_and_what_was_to_follow_the_commit(world, database_url):
    app, calls = world
    assert app.test_client().post("/t/discarded").status_code == 302
    assert _stored(database_url) == set()
    assert calls == ["not"]


def test_after_commit_runs_once_the_work_is_committed(world, database_url):
    app, calls = world
    assert app.test_client().post("/t/then").status_code == 201
    assert calls == ["after commit: WROTE-THEN"]
    assert _stored(database_url) == {"WROTE-THEN"}


def test_a_real_form_post_is_committed(client, auth, database_url):
    auth.login("admin")
    response = client.post(
        "/donors/new",
        data={"code": "WROTE-PAGE", "name": "Page", "csrf_token": auth.csrf_token("/dashboard")},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert _stored(database_url) == {"WROTE-PAGE"}
