"""Delivery at the door without JavaScript on a round that asks for the household's card:
the card is required, another household's card and a replaced card are refused with the
server's words (the form keeps what was typed), and the officer chooses who took the
parcel: the head, one of the household's collectors (one tap) or someone else by name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import Collector, Parcel, ParcelStatus, Scan
from kitlog.services import cards
from kitlog.services.parcel_codes import format_short_code
from tests.web.conftest import field_errors, text_of
from tests.web.pages import door_form, post_and_follow, status_of
from tests.worlds import DoorWorld

DAY1 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
DAY2 = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(make) -> DoorWorld:
    world = DoorWorld(make)
    world.round.verification = "card"
    db.session.commit()
    world.dispatch(world.parcels)
    return world


def card_of(household, now=DAY1):
    card = cards.issue_card(db.session, household, user=None, now=now)
    db.session.commit()
    return card


def add_collector(household, name="Dewi Lestari", relation="spouse") -> Collector:
    collector = Collector(household_id=household.id, name=name, relation=relation, active=True)
    db.session.add(collector)
    db.session.commit()
    return collector


def delivery_scans(parcel: Parcel) -> list[Scan]:
    db.session.commit()
    return list(
        db.session.scalars(
            select(Scan)
            .where(Scan.parcel_id == parcel.id, Scan.action == "deliver")
            .order_by(Scan.id)
        )
    )


def test_a_card_round_asks_for_the_card_and_the_recipient_on_the_form(client, login, world):
    parcel, household = world.parcels[0], world.households[0]
    add_collector(household, "Dewi Lestari", "spouse")
    gone = add_collector(household, "Gone Away", "child")
    gone.active, gone.deactivated_at = False, DAY2
    db.session.commit()
    login("field")
    page = text_of(client.get(f"/deliver/?code={parcel.short_code}"))
    assert "Household card" in page
    assert "Who took the parcel?" in page
    assert f"Head of household ({household.head_name})" in page
    assert "Dewi Lestari (Husband or wife)" in page
    assert "Gone Away" not in page
    assert "Someone else" in page


def test_without_the_card_a_card_round_refuses_the_delivery(client, login, world):
    parcel = world.parcels[0]
    card_of(world.households[0])
    login("field")
    form = door_form(client, parcel, "deliver")
    response = client.post("/deliver/", data={**form, "deliver-recipient": "head"})
    assert response.status_code == 422
    assert field_errors(response, "deliver-card") == (
        "Round Covid-19 round 1 needs the household's card: scan it with the parcel."
    )
    assert status_of(parcel) == ParcelStatus.DISPATCHED
    assert delivery_scans(parcel) == []


def test_another_households_card_is_refused_naming_the_parcels_household(client, login, world):
    parcel, household = world.parcels[0], world.households[0]
    card_of(household)
    neighbour = card_of(world.households[1])
    login("field")
    form = door_form(client, parcel, "deliver")
    typed = cards.shown_code(neighbour)
    response = client.post(
        "/deliver/",
        data={
            **form,
            "deliver-card": typed,
            "deliver-recipient": "other",
            "deliver-recipient_name": "Agus Santoso",
            "deliver-recipient_relation": "child",
        },
    )
    assert response.status_code == 409
    code = format_short_code(parcel.short_code)
    assert field_errors(response, "deliver-card") == (
        f"This is another household's card: parcel {code} is for household {household.code}."
    )
    html = response.get_data(as_text=True)
    # what the officer typed is kept; the next try gets a fresh key
    assert f'value="{typed}"' in html and 'value="Agus Santoso"' in html
    assert form["deliver-idempotency_key"] not in html
    assert status_of(parcel) == ParcelStatus.DISPATCHED
    [refused] = delivery_scans(parcel)
    assert refused.outcome == "refused"
    assert db.session.get(Parcel, parcel.id).flag is None  # checked online: nothing to follow


def test_a_replaced_card_is_refused_with_its_date(client, login, world):
    parcel, household = world.parcels[0], world.households[0]
    old = card_of(household, DAY1)
    card_of(household, DAY2)
    login("field")
    form = door_form(client, parcel, "deliver")
    response = client.post(
        "/deliver/", data={**form, "deliver-card": old.token, "deliver-recipient": "head"}
    )
    assert response.status_code == 409
    assert field_errors(response, "deliver-card") == "Card replaced on 5 Dec 2026."
    assert status_of(parcel) == ParcelStatus.DISPATCHED


def test_a_collector_chosen_with_one_tap_is_recorded_as_the_collector(client, login, world):
    parcel, household = world.parcels[0], world.households[0]
    card = card_of(household)
    collector = add_collector(household, "Dewi Lestari", "spouse")
    login("field")
    form = door_form(client, parcel, "deliver")
    response = post_and_follow(
        client,
        "/deliver/",
        {
            **form,
            "deliver-card": cards.card_url(card, "https://kitlog.example.org"),
            "deliver-recipient": f"c{collector.id}",
        },
    )
    code = format_short_code(parcel.short_code)
    assert f"Parcel {code} is delivered to Dewi Lestari." in text_of(response)
    [scan] = delivery_scans(parcel)
    assert (scan.outcome, scan.recipient_kind, scan.collector_id, scan.card_id) == (
        "ok",
        "collector",
        collector.id,
        card.id,
    )
    assert (scan.recipient_name, scan.recipient_relation) == ("Dewi Lestari", "spouse")
    delivered = db.session.get(Parcel, parcel.id)
    assert (delivered.status, delivered.recipient_kind) == ("delivered", "collector")


def test_someone_else_is_recorded_by_name_and_relation_as_other(client, login, world):
    parcel, household = world.parcels[0], world.households[0]
    card = card_of(household)
    login("field")
    form = door_form(client, parcel, "deliver")
    post_and_follow(
        client,
        "/deliver/",
        {
            **form,
            "deliver-card": cards.shown_code(card).lower(),
            "deliver-recipient": "other",
            "deliver-recipient_name": "Agus Santoso",
            "deliver-recipient_relation": "sibling",
        },
    )
    [scan] = delivery_scans(parcel)
    assert (scan.outcome, scan.recipient_kind, scan.collector_id) == ("ok", "other", None)
    assert (scan.recipient_name, scan.recipient_relation) == ("Agus Santoso", "sibling")
    assert db.session.get(Parcel, parcel.id).recipient_kind == "other"


def test_the_head_is_recorded_by_the_households_name(client, login, world):
    parcel, household = world.parcels[0], world.households[0]
    card = card_of(household)
    login("field")
    form = door_form(client, parcel, "deliver")
    post_and_follow(
        client, "/deliver/", {**form, "deliver-card": card.token, "deliver-recipient": "head"}
    )
    [scan] = delivery_scans(parcel)
    assert (scan.recipient_kind, scan.recipient_name, scan.recipient_relation) == (
        "head",
        household.head_name,
        "head",
    )


def test_someone_else_needs_a_name_and_a_relation_and_a_stranger_collector_is_refused(
    client, login, world
):
    parcel = world.parcels[0]
    card = card_of(world.households[0])
    stranger = add_collector(world.households[1], "Tono", "parent")
    login("field")
    form = door_form(client, parcel, "deliver")
    response = client.post(
        "/deliver/", data={**form, "deliver-card": card.token, "deliver-recipient": "other"}
    )
    assert response.status_code == 422
    assert "Write the name of the person who took the parcel." in field_errors(
        response, "deliver-recipient_name"
    )
    assert "Choose one from the list." in field_errors(response, "deliver-recipient_relation")
    response = client.post(
        "/deliver/",
        data={**form, "deliver-card": card.token, "deliver-recipient": f"c{stranger.id}"},
    )
    assert response.status_code == 422
    assert "Choose one from the list." in text_of(response)
    assert delivery_scans(parcel) == []


def test_the_card_form_speaks_indonesian(client, auth, world):
    parcel = world.parcels[0]
    auth.login("field", language="id")
    page = text_of(client.get(f"/deliver/?code={parcel.short_code}"))
    assert "Kartu keluarga penerima" in page
    assert "Siapa yang menerima paket?" in page
    assert "Orang lain" in page
