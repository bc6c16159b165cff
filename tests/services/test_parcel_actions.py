"""The table of parcel actions (kitlog.services.parcel_actions) and everything derived from
it: the scan service's allowed actions and refusals, the permission each scan needs, the
scan station's and parcel page's choices, and the JSON the station and delivery pages
read instead of coding the rules again.

The refusals' exact words and their precedence are asserted scan by scan in
tests/services/test_scans.py; here the table is checked against itself and against a
plain statement of the rules.
"""

from __future__ import annotations

import itertools
import json
import re
import textwrap
from html import unescape
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask_babel import force_locale
from werkzeug.datastructures import MultiDict

from kitlog.blueprints.door.forms import ParcelActionForm
from kitlog.blueprints.door.routes import DOOR_ACTIONS, PAGE_ACTIONS
from kitlog.blueprints.scan.forms import MODES, StationForm, names_manifest
from kitlog.models import (
    MANIFEST_STATUSES,
    PARCEL_STATUSES,
    ROUND_STATUSES,
    SCAN_ACTIONS,
)
from kitlog.security import PERMISSIONS, SCAN_ACTION_PERMISSIONS
from kitlog.services import parcel_actions, scans
from kitlog.services.parcel_actions import ACTIONS, BY_NAME, DOOR, PAGE, STATION, Facts

ROLES = ("admin", "warehouse", "field", "donor")


def _parcel(status: str, round_status: str = "open", manifest_status: str | None = None):
    """A parcel as the rules read it: its status, its round, the manifest it is on."""
    warehouse = SimpleNamespace(code="SBY-01")
    manifest = (
        None
        if manifest_status is None
        else SimpleNamespace(status=manifest_status, number="SBY-01/2026/0001", warehouse_id=1)
    )
    return SimpleNamespace(
        status=status,
        round=SimpleNamespace(
            status=round_status, name="Round 1", warehouse_id=1, warehouse=warehouse
        ),
        manifest=manifest,
    )


STATES = list(itertools.product(PARCEL_STATUSES, ROUND_STATUSES, (None, *MANIFEST_STATUSES)))


def _rules_in_words(parcel) -> list[str]:
    """The state machine as docs/design.md and the scan service's docstring state it:
    only a parcel of an open round is scanned (a draft round's are not released to the
    warehouse yet, a closed round's are done with)."""
    if parcel.round.status != "open":
        return []
    on_open = parcel.manifest is not None and parcel.manifest.status == "open"
    on_road = parcel.manifest is not None and parcel.manifest.status == "dispatched"
    return {
        "allocated": ["pack"],
        "returned": ["pack"],
        "packed": [] if on_open else ["load"],
        "dispatched": ["deliver", "fail", "return"],
        "failed": (["deliver"] if on_road else []) + ["return"],
    }.get(parcel.status, [])


def _facts(parcel, manifest=None) -> Facts:
    return Facts(
        parcel=parcel,
        manifest=manifest,
        last_event=lambda status, from_status: None,
        when_by=lambda event: "on 3 Dec 14:02",
    )


# -- the table -----------------------------------------------------------------------------


def test_every_action_has_one_row_in_the_order_of_the_vocabulary():
    assert tuple(action.name for action in ACTIONS) == SCAN_ACTIONS
    assert tuple(BY_NAME) == SCAN_ACTIONS


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_every_status_is_either_a_start_or_refused_with_its_reason(action):
    assert set(action.from_statuses).isdisjoint(action.refusals)
    assert set(action.from_statuses) | set(action.refusals) == set(PARCEL_STATUSES)
    assert action.to_status in PARCEL_STATUSES
    for guard in action.guards:
        assert set(guard.statuses) <= set(action.from_statuses), guard.name


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_every_action_has_a_permission_and_the_words_of_the_places_that_offer_it(action):
    assert action.permission in PERMISSIONS
    assert action.places and set(action.places) <= set(parcel_actions.PLACES)
    if STATION in action.places:
        assert action.words.mode and action.words.short and action.words.done
    if PAGE in action.places or DOOR in action.places:
        assert action.words.button
    assert set(action.requires) <= {"manifest", "reason"}


def test_a_delivered_or_cancelled_parcel_allows_nothing():
    for status in ("delivered", "cancelled"):
        assert all(status not in action.from_statuses for action in ACTIONS)


# -- the scan service ----------------------------------------------------------------------


@pytest.mark.parametrize(("status", "round_status", "manifest_status"), STATES)
def test_allowed_actions_are_the_rules_and_the_table(status, round_status, manifest_status):
    parcel = _parcel(status, round_status, manifest_status)
    allowed = scans.allowed_actions(parcel)
    assert allowed == _rules_in_words(parcel)
    from_table = [
        action.name
        for action in ACTIONS
        if status in action.from_statuses
        and all(
            guard.holds(parcel, None)
            for guard in action.guards
            if not guard.target and (not guard.statuses or status in guard.statuses)
        )
    ]
    assert allowed == from_table


@pytest.mark.parametrize(("status", "round_status", "manifest_status"), STATES)
def test_an_action_is_refused_exactly_when_it_is_not_allowed(status, round_status, manifest_status):
    parcel = _parcel(status, round_status, manifest_status)
    allowed = scans.allowed_actions(parcel)
    for action in ACTIONS:
        if action.name == "load":
            continue  # a load names its manifest: below
        with force_locale("en"):
            why = parcel_actions.refusal(action.name, _facts(parcel))
        assert (why is None) == (action.name in allowed), (action.name, str(why))
        if status not in action.from_statuses:
            with force_locale("en"):
                assert str(why) == str(action.refusals[status](_facts(parcel)))


def test_the_status_is_refused_before_any_guard():
    # a failed parcel of a closed round, not on the road: pack names the failure, not
    # the round; deliver names the trip
    parcel = _parcel("failed", "closed", "closed")
    with force_locale("en"):
        assert str(parcel_actions.refusal("pack", _facts(parcel))).startswith(
            "Its delivery failed on 3 Dec 14:02: scan it back in"
        )
        assert str(parcel_actions.refusal("deliver", _facts(parcel))).startswith(
            "Its delivery failed on 3 Dec 14:02 and manifest SBY-01/2026/0001 is closed"
        )


def test_a_load_checks_the_manifest_it_names_in_the_order_of_the_table():
    closed = SimpleNamespace(
        status="closed", number="SBY-01/2026/0009", warehouse_id=2, warehouse=None
    )
    elsewhere = SimpleNamespace(
        status="open",
        number="MLG-01/2026/0001",
        warehouse_id=2,
        warehouse=SimpleNamespace(code="MLG-01"),
    )
    fitting = SimpleNamespace(status="open", number="SBY-01/2026/0002", warehouse_id=1)
    with force_locale("en"):
        # open before same warehouse; both before "already loaded"
        on_open = _parcel("packed", manifest_status="open")
        assert str(parcel_actions.refusal("load", _facts(on_open, closed))).startswith(
            "Manifest SBY-01/2026/0009 is closed"
        )
        assert str(parcel_actions.refusal("load", _facts(on_open, elsewhere))).startswith(
            "This parcel is packed in SBY-01; manifest MLG-01/2026/0001 leaves from MLG-01."
        )
        assert str(parcel_actions.refusal("load", _facts(on_open, fitting))).startswith(
            "Already loaded onto manifest SBY-01/2026/0001"
        )
        assert parcel_actions.refusal("load", _facts(_parcel("packed"), fitting)) is None
        assert parcel_actions.refusal("load", _facts(_parcel("allocated"), fitting)) is not None


def test_the_transitions_are_the_tables():
    assert {
        action.name: (action.from_statuses, action.to_status) for action in ACTIONS
    } == scans.TRANSITIONS


# -- permissions and forms -----------------------------------------------------------------


def test_each_scan_needs_the_permission_its_row_names():
    assert {action.name: action.permission for action in ACTIONS} == SCAN_ACTION_PERMISSIONS


def test_the_places_offer_the_actions_of_their_rows(app):
    assert (
        MODES
        == tuple(a.name for a in ACTIONS if STATION in a.places)
        == (
            "pack",
            "load",
            "return",
        )
    )
    assert PAGE_ACTIONS == ("pack", "return")
    assert DOOR_ACTIONS == ("deliver", "fail")
    assert [m for m in MODES if names_manifest(m)] == ["load"]
    with app.test_request_context(), force_locale("en"):
        form = StationForm(formdata=None)
        form.set_choices([])
        assert [(c.value, str(c.label)) for c in form.mode.choices] == [
            ("pack", "Pack"),
            ("load", "Load onto a manifest"),
            ("return", "Return to stock"),
        ]


@pytest.mark.parametrize("action", SCAN_ACTIONS)
def test_the_parcel_page_form_takes_only_the_pages_actions(app, action):
    with app.test_request_context(method="POST"):
        form = ParcelActionForm(
            formdata=MultiDict(
                {"code": "ABCDEFGHJ", "idempotency_key": "k" * 12, "action": action}
            ),
            meta={"csrf": False},
        )
        assert form.validate() == (action in PAGE_ACTIONS)


# -- what the pages get --------------------------------------------------------------------

JSON_BLOCK = re.compile(r"<script type=\"application/json\" data-parcel-actions>(.*?)</script>")


def _page_table(response) -> dict:
    match = JSON_BLOCK.search(response.get_data(as_text=True))
    assert match, "the page carries no table of parcel actions"
    return json.loads(unescape(match.group(1)))


@pytest.mark.parametrize(("role", "path"), [("warehouse", "/scan/"), ("field", "/deliver/")])
@pytest.mark.parametrize("language", ["en", "id"])
def test_the_pages_get_the_table_in_the_readers_language(app, client, auth, role, path, language):
    auth.login(role, language=language)
    response = client.get(path)
    assert response.status_code == 200
    table = _page_table(response)
    with force_locale(language):
        assert table == parcel_actions.as_json()
        for row, action in zip(table["actions"], ACTIONS, strict=True):
            assert row["name"] == action.name
            assert row["from"] == list(action.from_statuses)
            assert row["to"] == action.to_status
            assert row["permission"] == action.permission
            assert row["requires"] == list(action.requires)
            assert row["places"] == list(action.places)
            assert row["words"]["button"] == (
                str(action.words.button) if action.words.button else None
            )
            assert row["words"]["done"] == (str(action.words.done) if action.words.done else None)
            assert [g["name"] for g in row["guards"]] == [g.name for g in action.guards]
    pack = table["actions"][0]["words"]
    assert pack["mode"] == ("Pack" if language == "en" else "Kemas")


# -- the worked example of docs/architecture.md --------------------------------------------

ARCHITECTURE = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


def test_the_worked_example_of_the_architecture_page_is_a_row_of_this_table():
    """The row "Adding a parcel action" shows is built with this module's names and,
    with its new status, covers every status as the table's rows must."""
    section = ARCHITECTURE.read_text(encoding="utf-8").split("## Adding a parcel action", 1)[1]
    code = textwrap.dedent(re.search(r"```python\n(.*?)```", section, re.S).group(1))
    statuses = SimpleNamespace(
        **{status.upper(): status for status in PARCEL_STATUSES}, AT_SITE="at_site"
    )
    namespace = {
        **vars(parcel_actions),
        "ParcelStatus": statuses,
        "ScanAction": SimpleNamespace(HANDOVER="handover"),
    }
    (row,) = eval(code, namespace)  # noqa: S307 - the row as the page shows it, comma and all
    assert isinstance(row, parcel_actions.ParcelAction)
    assert set(row.from_statuses).isdisjoint(row.refusals)
    assert set(row.from_statuses) | set(row.refusals) == {*PARCEL_STATUSES, "at_site"}
    assert row.permission in PERMISSIONS and row.places == (DOOR,) and row.words.button
    failed = _parcel("failed")
    with force_locale("en"):
        assert str(row.refusals["failed"](_facts(failed))).startswith("Its delivery failed")
