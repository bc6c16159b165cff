"""Household cards through the API: a household's card and sheets of ten as PDFs whose QR
codes open each household's own card, issued on first print; reissuing a lost card, after
which the old one is refused; every issue and print in the audit log; only field officers
and administrators print or reissue."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import AuditEvent, Household, HouseholdCard, ParcelStatus
from kitlog.services import card_prints, cards
from kitlog.services import distribution as distribution_service
from tests.api.helpers import assert_problem
from tests.documents.pdf import decode_pages, page_count, page_size_mm, page_texts

SEDAYU = "35.07.09.1008"  # Sedayu, Turen, Kabupaten Malang
MALANG = "35.07"


def _decoded(pdf: bytes) -> list[str]:
    return [found.text for page in decode_pages(pdf) for found in page]


def _current(household: Household) -> HouseholdCard | None:
    db.session.expire_all()
    return db.session.scalars(
        select(HouseholdCard).where(
            HouseholdCard.household_id == household.id, HouseholdCard.replaced_at.is_(None)
        )
    ).first()


def _card_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(HouseholdCard))


def _events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def _url(app, card: HouseholdCard) -> str:
    return f"{app.config['BASE_URL']}/h/{card.token}"


# -- one household's card ---------------------------------------------------------------


def test_a_households_first_print_issues_its_card_whose_code_opens_it(api, app, make):
    household = make.household(village="Sedayu", head_name="Siti Rahayu")
    client = api("field")
    response = client.get(f"/api/v1/households/{household.code}/card.pdf")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Cards-Issued"] == "1"
    card = _current(household)
    assert card is not None
    assert _decoded(response.data) == [_url(app, card)]
    assert page_size_mm(response.data) == (85.6, 54.0)
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and household.code.lower() in disposition
    assert "no-store" in response.headers["Cache-Control"]

    again = client.get(f"/api/v1/households/{household.code}/card.pdf")
    assert again.headers["X-Cards-Issued"] == "0"  # a reprint: the same card
    assert _decoded(again.data) == [_url(app, card)] and _card_count() == 1
    assert [e.object_ref for e in _events("card.issue")] == [household.code]


def test_the_card_shows_its_codes_head_and_places_never_the_nik_or_phone(api, make):
    household = make.household(village="Sedayu", head_name="Siti Rahayu")
    response = api("admin").get(f"/api/v1/households/{household.code}/card.pdf")
    text = page_texts(response.data)[0]
    card = _current(household)
    for words in (cards.shown_code(card), household.code, "Siti Rahayu", "Sedayu"):
        assert words in text
    assert "Kabupaten Malang" in text
    digits = "".join(ch for ch in text if ch.isdigit())
    assert household.nik not in digits and household.phone.lstrip("+") not in digits
    # printing a head's name is logged, like a label sheet that names them
    [printed] = _events("print.names")
    assert printed.object_ref == household.code and json.loads(printed.detail)["names"] == 1


def test_an_unknown_household_has_no_card(api):
    assert_problem(api("field").get("/api/v1/households/HH-999999/card.pdf"), 404)


# -- sheets -------------------------------------------------------------------------------


def test_a_villages_cards_print_ten_a_sheet_each_opening_its_own_household(api, app, make):
    sedayu = [make.household(village="Sedayu") for _ in range(11)]
    make.household(village="Turen")
    response = api("field").get(f"/api/v1/households/cards.pdf?village_code={SEDAYU}")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert page_count(response.data) == 2 and page_size_mm(response.data) == (210, 297)
    assert response.headers["X-Card-Count"] == "11" == response.headers["X-Cards-Issued"]
    pages = decode_pages(response.data)
    assert [len(page) for page in pages] == [10, 1]
    expected = {_url(app, _current(h)) for h in sedayu}
    assert {found.text for page in pages for found in page} == expected
    # by household code, row by row: the first sheet's top-left card is the first household
    text = page_texts(response.data)
    assert text[0].index(sedayu[0].code) < text[0].index(sedayu[1].code)
    assert sedayu[10].code in text[1]
    assert "sedayu" in response.headers["Content-Disposition"]


def test_a_village_code_may_come_without_dots_and_a_regency_takes_all_its_villages(api, make):
    make.household(village="Sedayu")
    make.household(village="Turen")
    client = api("admin")
    village = client.get(f"/api/v1/households/cards.pdf?village_code={SEDAYU.replace('.', '')}")
    assert village.headers["X-Card-Count"] == "1"
    regency = client.get(f"/api/v1/households/cards.pdf?regency_code={MALANG}")
    assert regency.headers["X-Card-Count"] == "2"
    assert regency.headers["X-Cards-Issued"] == "1"  # Sedayu's card was issued already


def test_a_rounds_cards_are_its_households_with_a_parcel_not_cancelled(api, app, make):
    parcels = make.allocated_parcels(4)
    distribution_service.cancel_parcel(db.session, parcels[0], user=None)
    db.session.commit()
    make.household(village="Sedayu")  # in no round
    response = api("field").get(f"/api/v1/households/cards.pdf?round={parcels[0].round_id}")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    db.session.expire_all()
    assert parcels[0].status == ParcelStatus.CANCELLED
    expected = {_url(app, _current(p.household)) for p in parcels[1:]}
    assert set(_decoded(response.data)) == expected


def test_inactive_households_get_no_card_on_a_sheet(api, make):
    make.household(village="Sedayu")
    moved = make.household(village="Sedayu")
    moved.status = "inactive"
    db.session.commit()
    response = api("field").get(f"/api/v1/households/cards.pdf?village_code={SEDAYU}")
    assert response.headers["X-Card-Count"] == "1"
    assert _current(moved) is None


@pytest.mark.parametrize(
    ("query", "status", "field", "says"),
    [
        ("", 422, "village_code", "Choose a village, a regency or a round"),
        ("?village_code=", 422, "village_code", "Choose a village, a regency or a round"),
        ("?village_code=99.99.99.9999", 422, "village_code", "not the official code of a village"),
        ("?village_code=35.07", 422, "village_code", "not the official code of a village"),
        ("?regency_code=35.07.09", 422, "regency_code", "not the official code of a regency"),
        (f"?village_code={SEDAYU}&regency_code=35.73", 422, "village_code", "is not in"),
        ("?round=999", 422, "round", "No round has the number 999"),
        ("?village_code=35.07.09.2002", 409, None, "No active household matches"),  # Kemulan
    ],
)
def test_a_choice_of_no_household_is_refused_saying_why(api, make, query, status, field, says):
    make.household(village="Sedayu")
    response = api("field").get(f"/api/v1/households/cards.pdf{query}")
    body = assert_problem(response, status, field=field)
    assert says in body["detail"] + json.dumps(body.get("errors", []))
    assert _card_count() == 0  # a refusal issues nothing


def test_a_choice_too_big_for_one_file_prints_in_parts(api, app, make, monkeypatch):
    monkeypatch.setattr(card_prints, "MAX_CARDS", 2)
    households = [make.household(village="Sedayu") for _ in range(3)]
    client = api("field")
    whole = client.get(f"/api/v1/households/cards.pdf?village_code={SEDAYU}")
    body = assert_problem(whole, 409)
    assert "3 cards are too many for one file" in body["detail"] and "2 parts" in body["detail"]
    assert _card_count() == 0
    first = client.get(f"/api/v1/households/cards.pdf?village_code={SEDAYU}&part=1")
    second = client.get(f"/api/v1/households/cards.pdf?village_code={SEDAYU}&part=2")
    assert (first.headers["X-Card-Count"], second.headers["X-Card-Count"]) == ("2", "1")
    assert "part-2-of-2" in second.headers["Content-Disposition"]
    assert set(_decoded(first.data) + _decoded(second.data)) == {
        _url(app, _current(h)) for h in households
    }
    assert_problem(client.get(f"/api/v1/households/cards.pdf?village_code={SEDAYU}&part=3"), 409)


# -- reissuing ----------------------------------------------------------------------------


def test_reissuing_gives_a_new_card_and_the_old_one_is_refused(api, app, make):
    household = make.household(village="Sedayu")
    client = api("field")
    client.get(f"/api/v1/households/{household.code}/card.pdf")
    old = _current(household)
    response = client.post(f"/api/v1/households/{household.code}/card")
    assert response.status_code == 201, response.get_data(as_text=True)[:500]
    new = _current(household)
    body = response.get_json()
    assert body["household"] == household.code
    assert body["short_code"] == cards.shown_code(new) != cards.shown_code(old)
    assert body["replaced"] == cards.shown_code(old)
    assert body["url"] == _url(app, new) and new.token != old.token
    assert body["issued_at"]
    # the old card is refused, by name and date; the new one works
    found = cards.find_card(db.session, _url(app, old))
    assert found.id == old.id
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert str(cards.card_refusal(found)).startswith("Card replaced on ")
    assert cards.card_refusal(cards.find_card(db.session, new.token)) is None
    # the new card prints; the old one never again
    reprint = client.get(f"/api/v1/households/{household.code}/card.pdf")
    assert _decoded(reprint.data) == [_url(app, new)]
    events = _events("card.issue") + _events("card.reissue")
    assert [(e.action, e.object_ref) for e in events] == [
        ("card.issue", household.code),
        ("card.reissue", household.code),
    ]
    detail = json.loads(events[1].detail)
    assert detail == {"card": cards.shown_code(new), "replaced": cards.shown_code(old)}
    assert household.nik not in events[1].detail


def test_reissuing_a_household_that_had_no_card_issues_its_first(api, make):
    household = make.household()
    response = api("admin").post(f"/api/v1/households/{household.code}/card")
    assert response.status_code == 201
    assert response.get_json()["replaced"] is None
    assert [e.object_ref for e in _events("card.issue")] == [household.code]


# -- who may ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["donor", "warehouse"])
def test_donors_and_warehouse_staff_may_not_print_or_reissue_cards(api, make, role):
    household = make.household(village="Sedayu")
    client = api(role)
    for response in (
        client.get(f"/api/v1/households/{household.code}/card.pdf"),
        client.get(f"/api/v1/households/cards.pdf?village_code={SEDAYU}"),
        client.post(f"/api/v1/households/{household.code}/card"),
    ):
        assert_problem(response, 403)
    assert _card_count() == 0


def test_without_logging_in_nothing_prints(api, make):
    household = make.household()
    assert_problem(api(None).get(f"/api/v1/households/{household.code}/card.pdf"), 401)
    assert _card_count() == 0


def test_the_openapi_document_describes_the_card_endpoints(api):
    spec = api(None).get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    assert (
        "application/pdf"
        in paths["/api/v1/households/cards.pdf"]["get"]["responses"]["200"]["content"]
    )
    sheet_parameters = {
        p["name"] for p in paths["/api/v1/households/cards.pdf"]["get"]["parameters"]
    }
    assert {"village_code", "regency_code", "round", "part"} <= sheet_parameters
    assert "201" in paths["/api/v1/households/{code}/card"]["post"]["responses"]
    assert "200" in paths["/api/v1/households/{code}/card.pdf"]["get"]["responses"]
