"""Delivery at the door without JavaScript: find the parcel by its short code, confirm who
took it (or why it could not be delivered); bad input says why and changes nothing; the
form's own key makes a resent form one scan."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import Parcel, ParcelStatus, Scan
from kitlog.services.parcel_codes import format_short_code
from tests.web.conftest import field_errors, text_of
from tests.web.pages import door_form, post_and_follow, status_of, visible_text
from tests.worlds import DoorWorld


@pytest.fixture
def world(make) -> DoorWorld:
    return DoorWorld(make)


def scan_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Scan))


def test_an_officer_finds_a_parcel_by_its_short_code_typed_any_way(client, login, world):
    parcel = world.parcels[0]
    world.dispatch([parcel])
    login("field")
    typed = parcel.short_code.lower()  # no hyphens, lower case
    response = client.get(f"/deliver/?code={typed}")
    assert response.status_code == 200
    page = text_of(response)
    assert format_short_code(parcel.short_code) in page
    assert "Dispatched" in page
    household = world.households[0]
    for shown in (household.code, household.head_name, "Sedayu", "Turen", "1 kit"):
        assert shown in page
    assert "Confirm delivery" in page
    assert "Could not deliver" in page
    html = response.get_data(as_text=True)
    assert household.nik not in html
    assert household.phone not in html


def test_a_delivery_confirmed_at_the_door_is_recorded_with_the_recipient(client, login, world):
    parcel = world.parcels[0]
    world.dispatch([parcel])
    officer = login("field")
    form = door_form(client, parcel, "deliver")
    response = post_and_follow(
        client,
        "/deliver/",
        {
            **form,
            "deliver-recipient": "other",
            "deliver-recipient_name": "  Siti   Rahayu ",
            "deliver-recipient_relation": "spouse",
            "deliver-lat": "-8.16512",
            "deliver-lon": "112.70831",
        },
    )
    assert response.status_code == 200
    code = format_short_code(parcel.short_code)
    assert f"Parcel {code} is delivered to Siti Rahayu." in text_of(response)
    assert status_of(parcel) == ParcelStatus.DELIVERED
    scan = db.session.scalars(select(Scan).where(Scan.action == "deliver")).one()
    assert (scan.outcome, scan.recipient_name, scan.recipient_relation) == (
        "ok",
        "Siti Rahayu",
        "spouse",
    )
    assert (scan.lat, scan.lon) == (-8.16512, 112.70831)
    assert scan.user_id == officer.id
    # the moment the donor report places it on: when the delivery was recorded (no device time)
    delivered = db.session.get(Parcel, parcel.id)
    event = delivered.events[-1]
    assert (event.status, event.scan_id) == (ParcelStatus.DELIVERED, scan.id)
    assert scan.scanned_at is None
    assert (delivered.delivered_at, delivered.failed_once) == (event.created_at, False)
    # the page now says there is nothing more to do at this door
    nothing = "There is nothing to record at the door for this parcel (Delivered)."
    assert nothing in visible_text(response)
    assert "Confirm delivery" not in visible_text(response)


def test_a_failed_delivery_is_recorded_with_its_reason_and_note(client, login, world):
    parcel = world.parcels[0]
    world.dispatch([parcel])
    login("field")
    form = door_form(client, parcel, "fail")
    response = post_and_follow(
        client,
        "/deliver/",
        {**form, "fail-reason": "nobody_home", "fail-note": "Neighbour says back Friday"},
    )
    code = format_short_code(parcel.short_code)
    assert f"Parcel {code}: the failed delivery is recorded." in text_of(response)
    assert status_of(parcel) == ParcelStatus.FAILED
    scan = db.session.scalars(select(Scan).where(Scan.action == "fail")).one()
    assert (scan.reason, scan.note) == ("nobody_home", "Neighbour says back Friday")
    # a failed parcel can still be delivered while its trip is on the road
    assert "Confirm delivery" in text_of(response)


def test_the_same_form_sent_twice_is_one_delivery(client, login, world):
    parcel = world.parcels[0]
    world.dispatch([parcel])
    login("field")
    form = door_form(client, parcel, "deliver")
    values = {
        **form,
        "deliver-recipient": "other",
        "deliver-recipient_name": "Agus",
        "deliver-recipient_relation": "child",
    }
    first = client.post("/deliver/", data=values)
    assert first.status_code == 302
    again = post_and_follow(client, "/deliver/", values)
    assert "was already recorded: nothing changed" in text_of(again)
    deliveries = select(func.count()).select_from(Scan).where(Scan.action == "deliver")
    assert db.session.scalar(deliveries) == 1
    assert status_of(parcel) == ParcelStatus.DELIVERED


def test_a_second_delivery_of_a_delivered_parcel_is_refused_saying_when(client, login, world):
    parcel = world.parcels[0]
    world.dispatch([parcel])
    login("field")
    stale = door_form(client, parcel, "deliver")  # a second phone had the page open
    fresh = door_form(client, parcel, "deliver")
    post_and_follow(
        client,
        "/deliver/",
        {
            **fresh,
            "deliver-recipient": "other",
            "deliver-recipient_name": "Agus",
            "deliver-recipient_relation": "spouse",
        },
    )
    response = post_and_follow(
        client,
        "/deliver/",
        {
            **stale,
            "deliver-recipient": "other",
            "deliver-recipient_name": "Budi",
            "deliver-recipient_relation": "other",
        },
    )
    page = text_of(response)
    assert "Not recorded:" in page
    assert "Already delivered on" in page
    scans = db.session.scalars(select(Scan).where(Scan.action == "deliver").order_by(Scan.id))
    assert [(s.outcome, s.recipient_name) for s in scans] == [("ok", "Agus"), ("refused", "Budi")]


@pytest.mark.parametrize(
    ("action", "values", "field", "message"),
    [
        (
            "deliver",
            {
                "deliver-recipient": "other",
                "deliver-recipient_name": "   ",
                "deliver-recipient_relation": "head",
            },
            "deliver-recipient_name",
            "Write the name of the person who took the parcel.",
        ),
        (
            "deliver",
            {
                "deliver-recipient": "other",
                "deliver-recipient_name": "Agus",
                "deliver-recipient_relation": "landlord",
            },
            "deliver-recipient_relation",
            "Choose one from the list.",
        ),
        ("fail", {"fail-reason": ""}, "fail-reason", "Choose a reason from the list."),
        ("fail", {"fail-reason": "lost"}, "fail-reason", "Choose a reason from the list."),
        (
            "deliver",
            {
                "deliver-recipient": "head",
                "deliver-lat": "123",
            },
            "deliver-lat",
            "The position the phone gave is not valid: nothing was saved.",
        ),
    ],
)
def test_bad_input_says_why_and_changes_nothing(
    client, login, world, action, values, field, message
):
    parcel = world.parcels[0]
    world.dispatch([parcel])
    login("field")
    before = scan_count()
    response = client.post("/deliver/", data={**door_form(client, parcel, action), **values})
    assert response.status_code == 422
    assert message in field_errors(response, field) or message in text_of(response)
    assert scan_count() == before
    assert status_of(parcel) == ParcelStatus.DISPATCHED


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("ABC-DEF-GHJ", "The code ABC-DEF-GHJ has a typo: check each character against the label."),
        ("hello", "No parcel has the code hello."),
    ],
)
def test_an_unknown_or_mistyped_code_says_so(client, login, world, typed, message):
    login("field")
    response = client.get(f"/deliver/?code={typed}")
    assert response.status_code == 404
    assert message in text_of(response)
    assert "Confirm delivery" not in visible_text(response)


def test_a_parcel_not_on_the_road_cannot_be_delivered_from_the_page(client, login, world):
    parcel = world.parcels[0]  # allocated: still in the warehouse
    login("field")
    response = client.get(f"/deliver/?code={parcel.short_code}")
    page = text_of(response)
    assert "There is nothing to record at the door for this parcel (Allocated)." in page
    before = scan_count()
    form = door_form(client, parcel, "deliver")  # the page's hidden form, for deliver.js
    refused = post_and_follow(
        client,
        "/deliver/",
        {
            **form,
            "deliver-recipient": "other",
            "deliver-recipient_name": "Agus",
            "deliver-recipient_relation": "spouse",
        },
    )
    assert "Not recorded:" in text_of(refused)
    assert status_of(parcel) == ParcelStatus.ALLOCATED
    assert scan_count() == before + 1  # the refused attempt is on record


def test_the_delivery_page_is_the_field_officers_and_in_indonesian(client, auth, make, world):
    auth.login("warehouse")
    assert client.get("/deliver/").status_code == 403
    auth.logout()
    auth.login("field")  # the factory's users read Indonesian
    html = client.get("/deliver/").get_data(as_text=True)
    assert '<html lang="id">' in html
