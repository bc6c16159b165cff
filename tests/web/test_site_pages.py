"""The site station as plain forms (no JavaScript): a card typed finds the household and
its parcels; a handover by POST carries the card and the collector; a replaced card is
refused by name; the warehouse may not hand over; with no site today, the page says so."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import Collector, Scan
from kitlog.services import cards
from tests.worlds import SiteWorld


@pytest.fixture
def w(make) -> SiteWorld:
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Jakarta")).date()
    world = SiteWorld(make, day=today)
    world.site_manifest_on_the_road(world.parcels[:2])
    return world


def test_a_typed_card_shows_the_household_and_a_handover_by_post_records_it(w, client, auth):
    first = w.parcels[0]
    dewi = Collector(household_id=first.household_id, name="Dewi Lestari", relation="tetangga")
    db.session.add(dewi)
    db.session.commit()
    auth.login("field", language="en")
    page = client.get("/site/").get_data(as_text=True)
    assert "Balai Desa Turen" in page and "0</span> / <span data-expected>2" in page
    card = cards.shown_code(w.cards[first.household_id])
    token = auth.csrf_token("/site/")
    found = client.post("/site/", data={"csrf_token": token, "site": w.site.id, "card": card})
    text = found.get_data(as_text=True)
    assert found.status_code == 200
    assert first.household.head_name in text and "Dewi Lestari (tetangga)" in text
    assert "waiting for the household" in text
    answer = client.post(
        "/site/",
        data={
            "csrf_token": token,
            "site": w.site.id,
            "op": "deliver",
            "card": card,
            "parcel": first.short_code,
            "collector": str(dewi.id),
            "key": "site-web-1",
        },
    )
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Handed over" in text and "already collected" in text
    assert "1</span> / <span data-expected>2" in text
    db.session.commit()
    scan = db.session.scalars(select(Scan).where(Scan.idempotency_key == "site-web-1")).one()
    assert (scan.outcome, scan.collector_id, scan.recipient_kind) == ("ok", dewi.id, "collector")
    assert scan.card_id == w.cards[first.household_id].id


def test_a_replaced_card_is_refused_by_name(w, client, auth):
    household = w.parcels[0].household
    old = cards.shown_code(w.cards[household.id])
    cards.issue_card(db.session, household, user=None)
    db.session.commit()
    auth.login("field", language="en")
    token = auth.csrf_token("/site/")
    answer = client.post("/site/", data={"csrf_token": token, "site": w.site.id, "card": old})
    assert answer.status_code == 409
    assert "Card replaced on" in answer.get_data(as_text=True)


def test_the_warehouse_may_not_hand_over_at_a_site(w, client, auth):
    auth.login("warehouse", language="en")
    assert client.get("/site/").status_code == 403


def test_with_no_site_today_the_page_says_so(make, client, auth):
    auth.login("field", language="en")
    page = client.get("/site/").get_data(as_text=True)
    assert "No distribution site is open today." in page
