"""Post-distribution monitoring pages: the round's page links to its monitoring; the
administrator draws a sample (the default size computed, the seed shown with how to repeat
the draw) and reads who answered and the results; the field officer's survey list and the
survey form on a phone, which works without JavaScript; refusals in Indonesian; the
warehouse and donors are kept out."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import PdmResponse
from kitlog.services import pdm
from kitlog.services.parcel_codes import format_short_code
from tests.web.conftest import text_of
from tests.worlds import ScanWorld


@pytest.fixture
def w(make) -> ScanWorld:
    """Six households; five parcels delivered, one still on the road."""
    world = ScanWorld(make, households=6)
    world.on_the_road(world.parcels)
    for parcel in world.parcels[:5]:
        world.scan(parcel, "deliver")
    return world


def followed(browser, response):
    """The page a POST answered by a redirect goes to, or its own answer."""
    if response.status_code == 302:
        return browser.get(response.location)
    return response


def draw_on_page(browser, w, size, seed=""):
    return followed(
        browser,
        browser.submit(
            f"/pdm/rounds/{w.round.id}/sample",
            {"size": str(size), "seed": str(seed)},
            page=f"/pdm/rounds/{w.round.id}",
        ),
    )


def codes_on(page_html: str) -> list[str]:
    return re.findall(r'class="short-code"[^>]*>([A-Z0-9-]{11})<', page_html)


def test_the_round_page_links_to_its_monitoring(w, login, browser):
    login("admin")
    page = browser.get(f"/rounds/{w.round.id}").get_data(as_text=True)
    assert f'href="/pdm/rounds/{w.round.id}"' in page
    assert "Post-distribution monitoring" in page


def test_the_draw_offers_the_computed_size_and_shows_the_seed(w, login, browser):
    login("admin")
    page = browser.get(f"/pdm/rounds/{w.round.id}")
    assert page.status_code == 200
    text = text_of(page)
    assert "5 parcels of this round have been delivered." in text
    assert "For 95 % confidence and a 10 % margin, survey 5 households." in text
    assert re.search(r'id="size"[^>]*value="5"', page.get_data(as_text=True))
    drawn = draw_on_page(browser, w, 3, 4242)
    text = text_of(drawn)
    assert "3 households drawn with seed 4242." in text
    assert "Seed: 4242" in text
    assert (
        "To draw the same households again, draw 3 households with seed 4242: from the same"
        " delivered parcels, the same seed always draws the same households."
    ) in text


def test_the_same_seed_draws_the_same_households_on_the_page(w, login, browser):
    login("admin")
    first = codes_on(draw_on_page(browser, w, 3, 77).get_data(as_text=True))
    again = codes_on(draw_on_page(browser, w, 3, 77).get_data(as_text=True))
    assert len(first) == 3 and first == again
    heads = {format_short_code(p.short_code): p.household.head_name for p in w.parcels}
    page = text_of(browser.get(f"/pdm/rounds/{w.round.id}"))
    assert all(heads[code] in page for code in first)  # the admin sees the heads' names


def test_a_sample_too_large_is_refused_in_indonesian(w, login, browser):
    login("admin", language="id")
    refused = draw_on_page(browser, w, 6)
    assert refused.status_code == 422
    assert "Baru 5 paket putaran ini yang diterima: ambil paling banyak 5." in text_of(refused)


def sampled_parcels(w, size=3, seed=5):
    sample = pdm.draw_sample(db.session, w.round, size=size, seed=seed, user=w.admin)
    db.session.commit()
    return [line.parcel for line in sample.parcels]


def test_the_field_officer_surveys_a_sampled_household(w, login, browser):
    parcel = sampled_parcels(w)[0]
    login("field")
    listing = browser.get("/pdm/")
    assert listing.status_code == 200
    text = text_of(listing)
    assert "Round 1" in text and "0 of 3 households have answered." in text
    assert parcel.household.head_name in text
    dashboard = browser.get("/dashboard").get_data(as_text=True)
    assert 'href="/pdm/"' in dashboard
    path = f"/pdm/survey/{parcel.short_code}"
    form = browser.get(path)
    assert form.status_code == 200
    text = text_of(form)
    assert "Was the kit complete?" in text and "Mask" in text and "Soap" in text
    saved = browser.submit(
        path,
        {
            "received_complete": "no",
            "items_missing": ["2"],
            "satisfaction": "4",
            "comment": "Sabun tidak ada",
        },  # fmt: skip
    )
    assert saved.status_code == 302
    saved = browser.get(saved.location)
    assert saved.status_code == 200
    text = text_of(saved)
    assert f"Thank you: the answers of household {parcel.household.code} are recorded." in text
    assert "1 of 3 households have answered." in text
    response = db.session.scalar(select(PdmResponse))
    assert (response.received_complete, response.items_missing, response.satisfaction) == (
        False,
        "[2]",
        4,
    )
    again = browser.get(path)
    assert again.status_code == 409
    assert "This household already answered for this parcel on" in text_of(again)


def test_the_administrator_sees_the_results(w, login, browser):
    first, second, _third = sampled_parcels(w)
    for parcel, complete, missing, score in ((first, True, [], 5), (second, False, [1], 2)):
        pdm.record_response(
            db.session,
            {
                "parcel": parcel.id,
                "received_complete": complete,
                "items_missing": missing,
                "satisfaction": score,
            },  # fmt: skip
            user=w.siti,
        )
    db.session.commit()
    login("admin")
    text = text_of(browser.get(f"/pdm/rounds/{w.round.id}"))
    assert "2 of them have answered." in text
    assert "Kit complete 50% 1 of 2" in text
    assert "Mean satisfaction 3.5 from 1 to 5" in text
    assert "Items missing Item Households Mask 1" in text


def test_a_survey_without_an_answer_is_refused_in_indonesian(w, login, browser):
    parcel = sampled_parcels(w)[0]
    login("field", language="id")
    refused = browser.submit(f"/pdm/survey/{parcel.short_code}", {"comment": ""})
    assert refused.status_code == 422
    text = text_of(refused)
    assert "Pilih apakah kitnya lengkap: ya atau tidak." in text
    assert "Pilih tingkat kepuasan dari 1 sampai 5." in text
    assert db.session.scalar(select(func.count()).select_from(PdmResponse)) == 0


def test_a_parcel_outside_the_sample_is_refused_in_indonesian(w, login, browser):
    drawn = sampled_parcels(w, size=2)
    outside = next(p for p in w.parcels[:5] if p not in drawn)
    login("field", language="id")
    page = browser.get(f"/pdm/survey/{outside.short_code}")
    assert page.status_code == 409
    assert "Paket ini tidak termasuk sampel pemantauan putarannya." in text_of(page)
    assert 'name="satisfaction"' not in page.get_data(as_text=True)
    assert browser.get("/pdm/survey/ZZZZZZZZZ").status_code == 404


@pytest.mark.parametrize("role", ["warehouse", "donor"])
def test_the_warehouse_and_donors_are_kept_out(w, login, browser, role):
    parcel = sampled_parcels(w)[0]
    login(role)
    for path in (f"/pdm/rounds/{w.round.id}", "/pdm/", f"/pdm/survey/{parcel.short_code}"):
        assert browser.get(path).status_code == 403, path


def test_the_field_officer_may_not_draw_a_sample(w, login, browser):
    login("field")
    assert browser.get(f"/pdm/rounds/{w.round.id}").status_code == 403
