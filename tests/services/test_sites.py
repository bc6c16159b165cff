"""Distribution sites: made only for a round whose households collect at sites, in a
place of the round's area and within its days; a site serves the households living in
its place; its parcels travel on its own manifest, loaded by area; its day is counted
from the parcels (served and expected, on its warehouse's clock); a card finds the
household's parcels still owed; the end of the day makes uncollected parcels follow-ups
or returns them through the trip's own close; the phone's copy holds no card in clear."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import (
    Collector,
    ManifestStatus,
    Parcel,
    ParcelStatus,
    RoundMode,
    RoundStatus,
    Verification,
)
from kitlog.services import cards, follow_ups, sites
from kitlog.services.errors import Conflict, InvalidValues, NotFound
from tests.worlds import DAY, SEDAYU, T0, SiteWorld


@pytest.fixture
def w(make) -> SiteWorld:
    return SiteWorld(make)


def values(**changes):
    base = {"name": "Balai Desa", "place_code": SEDAYU, "start_date": DAY, "end_date": DAY}
    return base | changes


def refused_fields(error) -> dict[str, str]:
    with force_locale("en"):
        return {e.field: str(e.message) for e in error.value.errors}


def test_only_a_round_collected_at_sites_has_sites(w):
    w.round.mode = RoundMode.DOOR
    with pytest.raises(Conflict) as error, force_locale("en"):
        sites.create_site(db.session, w.round, values(), user=w.admin)
    with force_locale("en"):
        assert "delivered door to door" in str(error.value.message)


def test_a_site_needs_a_name_a_district_or_village_and_days_in_order(w):
    with pytest.raises(InvalidValues) as error:
        sites.create_site(
            db.session,
            w.round,
            values(name=" ", place_code="35.07", end_date=DAY - timedelta(days=1)),
            user=w.admin,
        )
    found = refused_fields(error)
    assert found["name"].startswith("Name the site")
    assert "give the code of a district" in found["place_code"]
    assert found["end_date"] == "The last day comes after the first."
    with pytest.raises(InvalidValues) as error:
        sites.create_site(db.session, w.round, values(name="x" * 121), user=w.admin)
    assert refused_fields(error)["name"] == "Keep this under 120 characters."


def test_a_site_is_placed_by_names_within_the_rounds_area_and_days(w):
    site = sites.create_site(
        db.session,
        w.round,
        {
            "name": "SD Sedayu",
            "regency": "Kab. Malang",
            "district": "turen",
            "village": "Sedayu",
            "start_date": DAY,
        },
        user=w.admin,
    )
    assert site.place_code == SEDAYU and site.end_date == site.start_date == DAY
    w.round.regency, w.round.regency_code = "Kota Surabaya", "35.78"
    w.round.start_date, w.round.end_date = DAY, DAY + timedelta(days=2)
    with pytest.raises(InvalidValues) as error, force_locale("en"):
        sites.create_site(
            db.session, w.round, values(end_date=DAY + timedelta(days=3)), user=w.admin
        )
    found = refused_fields(error)
    assert "outside the round's area" in found["place_code"]
    assert found["end_date"] == (
        "The site's days must fall within the round's: 3 Dec 2026 to 5 Dec 2026."
    )


def test_a_site_serves_the_rounds_households_living_in_its_place(w):
    served = db.session.scalars(sites.site_parcels_query(w.site)).all()
    assert {p.id for p in served} == {p.id for p in w.parcels[:3]}
    village_site = sites.create_site(
        db.session, w.round, values(place_code=w.parcels[0].household.village_code), user=w.admin
    )
    served = db.session.scalars(sites.site_parcels_query(village_site)).all()
    assert [p.id for p in served] == [w.parcels[0].id]


def test_the_sites_manifest_takes_its_households_packed_parcels_to_it(w):
    manifest, loaded = w.site_manifest_on_the_road(w.parcels)
    assert loaded == 3  # not the household that moved to Gondanglegi
    assert manifest.site_id == w.site.id and manifest.destination == "Balai Desa Turen"
    assert (
        manifest.planned_date == DAY - timedelta(days=1)
        and manifest.status == ManifestStatus.DISPATCHED
    )
    assert w.away.status == ParcelStatus.PACKED and w.away.manifest_id is None


def test_the_count_shows_served_and_still_expected_today_on_the_sites_clock(w):
    w.site_manifest_on_the_road(w.parcels)
    first, second, third = w.parcels[:3]
    assert sites.site_count(db.session, w.site, T0) == sites.SiteCount(DAY, 0, 3)
    w.scan(first, "deliver", card=w.card_of(first), at=T0)
    w.scan(second, "deliver", at=T0 - timedelta(days=1))  # yesterday: not today's
    count = sites.site_count(db.session, w.site, T0)
    assert (count.served, count.expected, count.waiting) == (1, 2, 1)
    # 23:30 in Surabaya is still the same day there (16:30 UTC)
    late = T0.replace(hour=16, minute=30)
    assert sites.site_count(db.session, w.site, late).served == 1
    assert sites.site_count(db.session, w.site, T0 + timedelta(days=1)).served == 0
    assert third.status == ParcelStatus.DISPATCHED


def test_todays_sites_are_those_of_open_site_rounds_whose_days_include_today(w):
    assert sites.sites_today(db.session, T0) == [w.site]
    assert sites.sites_today(db.session, T0 + timedelta(days=2)) == []
    w.round.status = RoundStatus.CLOSED
    assert sites.sites_today(db.session, T0) == []


def test_a_card_finds_its_household_collectors_and_parcels_still_owed(w):
    parcel = w.parcels[0]
    household = parcel.household
    db.session.add(Collector(household_id=household.id, name="Dewi", relation="neighbour"))
    db.session.add(
        Collector(
            household_id=household.id, name="Gone", relation="x", active=False, deactivated_at=T0
        )
    )
    db.session.commit()
    w.site_manifest_on_the_road(w.parcels[:1])
    card = w.cards[household.id]
    for text in (card.token, cards.shown_code(card), cards.card_url(card, "https://k.example")):
        found = sites.lookup_card(db.session, text, now=T0)
        assert found.household.id == household.id
        assert [c.name for c in found.collectors] == ["Dewi"]
        assert [(p.parcel.id, p.actions) for p in found.parcels] == [
            (parcel.id, ["deliver", "fail", "return"])
        ]
    w.scan(parcel, "deliver", card=card.token, at=T0)
    found = sites.lookup_card(db.session, card.token, now=T0 + timedelta(hours=2))
    assert [(p.parcel.status, p.actions) for p in found.parcels] == [("delivered", [])]
    # the next day, a parcel delivered yesterday is no longer shown
    assert sites.lookup_card(db.session, card.token, now=T0 + timedelta(days=1)).parcels == []


def test_a_replaced_card_is_refused_with_its_date_and_an_unknown_one_is_not_found(w):
    household = w.parcels[0].household
    old = w.cards[household.id]
    cards.issue_card(db.session, household, user=None, now=T0 + timedelta(days=1))
    db.session.commit()
    with pytest.raises(Conflict) as error, force_locale("en"):
        sites.lookup_card(db.session, old.token)
    with force_locale("en"):
        assert str(error.value.message) == "Card replaced on 4 Dec 2026."
    with pytest.raises(NotFound):
        sites.lookup_card(db.session, "AAAAAAAAAAAAAAAA")


def test_a_round_that_asks_for_the_card_hands_over_only_with_the_households_card(w):
    w.round.verification = Verification.CARD
    first, second = w.parcels[:2]
    w.site_manifest_on_the_road([first, second])
    assert w.scan(first, "deliver").outcome == "refused"
    assert w.scan(first, "deliver", card=w.card_of(second)).outcome == "refused"
    answer = w.scan(first, "deliver", card=cards.shown_code(w.cards[first.household_id]))
    assert answer.outcome == "ok" and first.status == ParcelStatus.DELIVERED


def test_at_the_end_of_the_day_uncollected_parcels_become_follow_ups(w):
    first, second, third = w.parcels[:3]
    manifest, _ = w.site_manifest_on_the_road([first, second, third])
    w.scan(first, "deliver", card=w.card_of(first))
    left = sites.end_site_day(db.session, w.site, outcome="follow_up", user=w.siti, now=T0)
    db.session.commit()
    assert {p.id for p in left} == {second.id, third.id}
    assert (second.status, third.status) == (ParcelStatus.FAILED, ParcelStatus.FAILED)
    listed = follow_ups.follow_ups(db.session, round_id=w.round.id)
    assert {i.id for i in listed} == {second.id, third.id}
    assert listed[0].attempts[0].reason == "nobody_home"
    # the warehouse closes the site's manifest as it closes a trip
    sites.end_site_day(db.session, w.site, outcome="return", user=w.budi, now=T0)
    db.session.commit()
    assert manifest.status == ManifestStatus.CLOSED
    assert (second.status, third.status) == (ParcelStatus.RETURNED, ParcelStatus.RETURNED)


def test_at_the_end_of_the_day_uncollected_parcels_go_back_to_stock_with_a_reason(w):
    first, second = w.parcels[:2]
    manifest, _ = w.site_manifest_on_the_road([first, second])
    w.scan(first, "deliver", card=w.card_of(first))
    with pytest.raises(Conflict):  # the trip's close: never-scanned parcels need a reason
        sites.end_site_day(db.session, w.site, outcome="return", user=w.budi, now=T0)
    db.session.rollback()
    sites.end_site_day(
        db.session, w.site, outcome="return", reason="Not collected", user=w.budi, now=T0
    )
    db.session.commit()
    assert manifest.status == ManifestStatus.CLOSED and manifest.close_reason == "Not collected"
    assert second.status == ParcelStatus.RETURNED and first.status == ParcelStatus.DELIVERED
    with pytest.raises(Conflict):
        sites.end_site_day(db.session, w.site, outcome="return", user=w.budi, now=T0)


def test_the_phones_copy_of_the_day_holds_card_hashes_never_cards_or_personal_numbers(w):
    household = w.parcels[0].household
    db.session.add(
        Collector(
            household_id=household.id,
            name="Dewi",
            relation="neighbour",
            nik=w.make.nik(),
            phone="+6281234567890",
        )
    )
    db.session.commit()
    w.site_manifest_on_the_road(w.parcels)
    day = sites.site_day(db.session, w.site, now=T0)
    assert (day["served"], day["expected"], day["day"]) == (0, 3, "2026-12-03")
    assert day["site"]["place"] == "Turen"
    first = next(h for h in day["households"] if h["code"] == household.code)
    card = w.cards[household.id]
    assert first["card_hash"] == cards.token_hash(card.token)
    assert first["short_hash"] == sites.short_code_hash(card.short_code)
    assert first["collectors"] == [
        {"id": first["collectors"][0]["id"], "name": "Dewi", "relation": "neighbour"}
    ]
    text = repr(day)
    for secret in (
        card.token,
        card.short_code,
        cards.shown_code(card),
        household.nik,
        household.phone,
        "+6281234567890",
    ):
        assert secret not in text
    parcel = first["parcels"][0]
    assert parcel["token"] == w.parcels[0].token and parcel["verification"] == "none"
    assert len(day["households"]) == 3


def test_the_short_code_hash_is_of_the_nine_stored_symbols():
    assert sites.short_code_hash("abcdefghj") == sites.short_code_hash("ABCDEFGHJ")
    assert len(sites.short_code_hash("ABCDEFGHJ")) == 64


def test_site_round_parcels_on_no_manifest_make_the_site_manifest_load_nothing(w):
    manifest, loaded = sites.create_site_manifest(
        db.session, w.site, vehicle="N 1", driver_name="Joko", user=w.budi, now=T0
    )
    assert loaded == 0 and manifest.status == ManifestStatus.OPEN
    assert db.session.scalar(select(Parcel.manifest_id).where(Parcel.id == w.parcels[0].id)) is None
    assert manifest.planned_date == DAY - timedelta(days=1)
