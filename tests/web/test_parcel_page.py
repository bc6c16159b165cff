"""The page a parcel's QR code opens, /p/<token>: the parcel, its history, the household
as far as the reader's role may see it, and the actions that role may take now."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import Parcel, ParcelEvent, ParcelStatus, Scan
from kitlog.services import distribution as dist
from kitlog.services import manifests
from kitlog.services.parcel_codes import format_short_code
from tests.conftest import PASSWORD
from tests.web.conftest import csrf_token, text_of
from tests.web.pages import hidden, status_of, visible_text
from tests.worlds import DoorWorld


@pytest.fixture
def world(make) -> DoorWorld:
    return DoorWorld(make)


def _buttons(response) -> list[str]:
    """The action buttons and links the page offers, by their words."""
    page = visible_text(response)
    offered = [
        "Packed",
        "Returned to the warehouse",
        "Deliver",
        "Could not deliver",
        "Cancel this parcel",
    ]
    html = response.get_data(as_text=True)
    section = (
        html.split('class="door-actions"', 1)[1].split("</section>", 1)[0]
        if ('class="door-actions"' in html)
        else ""
    )
    return [label for label in offered if f">{label}<" in section and label in page]


def test_a_field_officer_sees_the_household_and_can_deliver(client, login, world):
    parcel = world.parcels[0]
    manifest = world.dispatch([parcel])
    login("field")
    response = client.get(f"/p/{parcel.token}")
    assert response.status_code == 200
    page = visible_text(response)
    household = world.households[0]
    assert format_short_code(parcel.short_code) in page
    assert "Dispatched" in page
    for shown in (household.code, household.head_name, "Sedayu", "Turen", "KOICA"):
        assert shown in page
    assert "Covid-19 round 1" in page
    # the manifest it travels on, numbered in the year it was made
    assert re.fullmatch(r"SBY-01/\d{4}/0001", manifest.number) and manifest.number in page
    assert _buttons(response) == ["Deliver", "Could not deliver"]
    code = format_short_code(parcel.short_code)
    html = response.get_data(as_text=True)
    assert f'href="/deliver/?code={code}#deliver"' in html
    assert household.nik not in html and household.phone not in html


def test_the_warehouse_sees_no_names_and_packs_or_takes_back(client, login, world):
    allocated, dispatched = world.parcels[0], world.parcels[1]
    world.dispatch([dispatched])
    login("warehouse")
    response = client.get(f"/p/{allocated.token}")
    page = visible_text(response)
    household = world.households[0]
    assert household.code in page and "Sedayu" in page
    assert household.head_name not in response.get_data(as_text=True)
    assert _buttons(response) == ["Packed"]
    on_the_road = client.get(f"/p/{dispatched.token}")
    assert _buttons(on_the_road) == ["Returned to the warehouse"]
    assert world.households[1].head_name not in on_the_road.get_data(as_text=True)


def test_the_admin_may_cancel_a_parcel_not_yet_dispatched(client, login, world):
    parcel = world.parcels[0]
    login("admin")
    response = client.get(f"/p/{parcel.token}")
    assert _buttons(response) == ["Packed", "Cancel this parcel"]
    html = response.get_data(as_text=True)
    assert f'href="/rounds/{world.round.id}/parcels/{parcel.id}"' in html


def test_a_draft_rounds_parcel_offers_no_packing_and_says_why(client, login, make):
    (parcel,) = make.allocated_parcels(1, opened=False)
    login("warehouse")
    response = client.get(f"/p/{parcel.token}")
    assert _buttons(response) == []
    assert (
        f"Its round {parcel.round.name} is not open yet: the administrator opens it"
        in visible_text(response)
    )
    form = {
        "csrf_token": csrf_token(response.get_data(as_text=True)),
        "code": parcel.short_code,
        "idempotency_key": "draft-round-pack-1",
        "action": "pack",
    }
    refused = client.post(f"/p/{parcel.token}/scan", data=form)
    assert "Not recorded: Its round" in text_of(client.get(refused.headers["Location"]))
    assert status_of(parcel) == ParcelStatus.ALLOCATED
    dist.open_round(db.session, parcel.round, user=None)
    db.session.commit()
    opened = client.get(f"/p/{parcel.token}")
    assert _buttons(opened) == ["Packed"] and "is not open yet" not in visible_text(opened)


def test_a_donor_may_not_open_a_parcel(client, login, world):
    login("donor")
    assert client.get(f"/p/{world.parcels[0].token}").status_code == 403


def test_a_phone_that_is_not_logged_in_logs_in_and_lands_on_the_parcel(client, make, world):
    parcel = world.parcels[0]
    response = client.get(f"/p/{parcel.token}")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert urlsplit(login_url).path == "/login"
    assert parse_qs(urlsplit(login_url).query)["next"][0].startswith(f"/p/{parcel.token}")
    officer = make.user("field", language="en")
    token = hidden(client.get(login_url).get_data(as_text=True), "csrf_token")
    logged_in = client.post(
        login_url, data={"email": officer.email, "password": PASSWORD, "csrf_token": token}
    )
    assert logged_in.status_code == 302
    assert urlsplit(logged_in.headers["Location"]).path == f"/p/{parcel.token}"
    page = client.get(logged_in.headers["Location"])
    assert format_short_code(parcel.short_code) in visible_text(page)


def test_the_token_is_read_in_any_case_and_an_unknown_one_is_a_clear_404(client, login, world):
    parcel = world.parcels[0]
    login("field")
    assert client.get(f"/p/{parcel.token.lower()}").status_code == 200
    response = client.get("/p/AAAAAAAAAAAAAAAA")
    assert response.status_code == 404
    assert "Parcel not found" in text_of(response)
    assert "No parcel has the code AAAAAAAAAAAAAAAA." in text_of(response)


def _action_form(client, parcel: Parcel, action: str) -> dict:
    """The parcel page's form behind one button (pack or return)."""
    html = client.get(f"/p/{parcel.token}").get_data(as_text=True)
    form = html.split(f'name="action" type="hidden" value="{action}"', 1)[0]
    form = form.rsplit("<form", 1)[1]
    return {
        "csrf_token": hidden(form, "csrf_token"),
        "code": hidden(form, "code"),
        "idempotency_key": hidden(form, "idempotency_key"),
        "action": action,
    }


def _events(parcel: Parcel) -> int:
    return db.session.scalar(
        select(func.count()).select_from(ParcelEvent).where(ParcelEvent.parcel_id == parcel.id)
    )


def test_packing_from_the_page_twice_with_the_same_form_packs_once(client, login, world):
    parcel = world.parcels[0]
    login("warehouse")
    form = _action_form(client, parcel, "pack")
    first = client.post(f"/p/{parcel.token}/scan", data=form)
    assert first.status_code == 302
    assert first.headers["Location"].endswith(f"/p/{parcel.token}")
    code = format_short_code(parcel.short_code)
    assert f"Parcel {code} is packed." in text_of(client.get(first.headers["Location"]))
    assert status_of(parcel) == ParcelStatus.PACKED
    events = _events(parcel)
    again = client.post(f"/p/{parcel.token}/scan", data=form)  # a double tap
    page = text_of(client.get(again.headers["Location"]))
    assert f"This scan of {code} was already recorded: nothing changed." in page
    assert _events(parcel) == events
    assert db.session.scalar(select(func.count()).select_from(Scan)) == 1


def test_taking_a_parcel_back_from_the_page_returns_it_to_the_warehouse(client, login, world):
    parcel = world.parcels[0]
    world.dispatch([parcel])
    login("warehouse")
    response = client.post(f"/p/{parcel.token}/scan", data=_action_form(client, parcel, "return"))
    page = text_of(client.get(response.headers["Location"]))
    assert "is back in the warehouse" in page
    assert status_of(parcel) == ParcelStatus.RETURNED
    assert _buttons(client.get(f"/p/{parcel.token}")) == ["Packed"]


def test_a_role_may_not_post_an_action_it_does_not_have(client, auth, make, world):
    parcel = world.parcels[0]
    auth.login("warehouse")
    form = _action_form(client, parcel, "pack")
    auth.logout()
    auth.login("field")
    token = hidden(client.get(f"/p/{parcel.token}").get_data(as_text=True), "csrf_token")
    response = client.post(f"/p/{parcel.token}/scan", data={**form, "csrf_token": token})
    assert response.status_code == 403
    assert status_of(parcel) == ParcelStatus.ALLOCATED
    assert db.session.scalar(select(func.count()).select_from(Scan)) == 0


def test_the_history_says_who_received_it_or_why_not(client, auth, make, world):
    delivered, failed = world.parcels[0], world.parcels[1]
    world.dispatch([delivered, failed])
    officer = make.user("field", language="en")
    officer.name = "Dewi Lestari"
    db.session.commit()
    world.scan(
        delivered,
        "deliver",
        user=officer,
        recipient_name="Agus Santoso",
        recipient_relation="child",
        lat=-8.165123,
        lon=112.708311,
    )
    world.scan(failed, "fail", user=officer, reason="moved", note="Moved to Malang")
    auth.login("field", language="en")
    page = visible_text(client.get(f"/p/{delivered.token}"))
    assert "Received by Agus Santoso (Son or daughter)" in page
    assert "by Dewi Lestari" in page
    assert "GPS -8.16512, 112.70831" in page
    # newest first: delivered, then dispatched, packed, allocated
    assert page.index("Delivered") < page.index("Dispatched") < page.index("Allocated")
    assert "Reason: Moved away" in visible_text(client.get(f"/p/{failed.token}"))
    auth.logout()
    auth.login("warehouse")
    html = client.get(f"/p/{delivered.token}").get_data(as_text=True)
    assert "Agus Santoso" not in html and "-8.16512" not in html


def test_the_history_says_when_a_parcel_was_loaded_and_taken_off_a_manifest(client, auth, world):
    parcel = world.parcels[0]
    world.scan(parcel, "pack")
    trip = manifests.create_manifest(
        db.session,
        warehouse=world.warehouse,
        destination="Desa Sedayu",
        vehicle="L 1234 AB",
        driver_name="Slamet",
        parcels=[parcel.short_code],
        user=world.storekeeper,
    )
    manifests.remove_parcel(db.session, trip, parcel, user=world.storekeeper)
    db.session.commit()
    auth.login("warehouse", language="en")
    page = visible_text(client.get(f"/p/{parcel.token}"))
    assert f"Taken off manifest {trip.number}" in page
    assert f"Loaded onto manifest {trip.number}" in page
    assert "unloaded:" not in page
    # newest first: taken off, then loaded
    assert page.index("Taken off manifest") < page.index("Loaded onto manifest")


def test_the_history_names_a_load_as_a_load_not_as_a_second_packed(client, auth, world):
    """Loading keeps a parcel packed; its history entry is named "Loaded" (Dimuat), on the
    parcel's own page and on the round's parcel page."""
    by_scan, by_form = world.parcels[0], world.parcels[1]
    world.scan(by_scan, "pack")
    world.scan(by_form, "pack")
    trip = manifests.create_manifest(
        db.session,
        warehouse=world.warehouse,
        destination="Desa Sedayu",
        vehicle="L 1234 AB",
        driver_name="Slamet",
        parcels=[by_form.short_code],
        user=world.storekeeper,
    )
    db.session.commit()
    world.scan(by_scan, "load", manifest=trip.number)
    auth.login("admin")  # Indonesian
    for parcel in (by_scan, by_form):
        for url in (f"/p/{parcel.token}", f"/rounds/{parcel.round_id}/parcels/{parcel.id}"):
            html = client.get(url).get_data(as_text=True)
            history = html.split('class="parcel-history"', 1)[1].split("</ol>", 1)[0]
            badges = re.findall(r'class="badge parcel-status[^"]*">([^<]*)</span>', history)
            assert badges == ["Dimuat", "Dikemas", "Dialokasikan"], url
    auth.logout()
    auth.login("admin", language="en")
    html = client.get(f"/p/{by_scan.token}").get_data(as_text=True)
    history = html.split('class="parcel-history"', 1)[1].split("</ol>", 1)[0]
    assert re.findall(r'class="badge parcel-status[^"]*">([^<]*)</span>', history) == [
        "Loaded",
        "Packed",
        "Allocated",
    ]
