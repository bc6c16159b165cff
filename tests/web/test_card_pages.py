"""The pages of household cards: what a card's QR code opens (nothing about the household
for anyone not logged in, the household's page for staff who may read it, with a warning
when the card was replaced), and the card section of the household page with its Print
and Reissue buttons."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import AuditEvent, HouseholdCard
from kitlog.services import cards
from tests.conftest import PASSWORD
from tests.documents.pdf import decode_pages, page_size_mm
from tests.web.conftest import text_of

DAY1 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
DAY2 = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)


@pytest.fixture
def carded(make):
    """A household in Sedayu with a card issued."""
    household = make.household(
        village="Sedayu", head_name="Siti Rahayu Wulandari", phone="081234567890"
    )
    card = cards.issue_card(db.session, household, user=None, now=DAY1)
    db.session.commit()
    return household, card


def _current(household) -> HouseholdCard | None:
    db.session.expire_all()
    return db.session.scalars(
        select(HouseholdCard).where(
            HouseholdCard.household_id == household.id, HouseholdCard.replaced_at.is_(None)
        )
    ).first()


# -- /h/<token>, not logged in --------------------------------------------------------------


def test_a_visitor_sees_only_that_it_is_a_kitlog_card_and_a_login_link(client, carded):
    household, card = carded
    response = client.get(f"/h/{card.token}", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert "This is a kitlog household card" in text_of(response)
    html = response.get_data(as_text=True)
    for personal in (
        household.head_name,
        "Siti",
        household.nik,
        household.phone,
        household.phone[-8:],
        household.code,
        household.village,
        household.district,
        household.regency,
        cards.shown_code(card),
        household.worker_name,
    ):
        assert personal not in html, personal
    login = re.search(r'href="([^"]*/login[^"]*)"', html)
    assert login, "no login link"
    query = parse_qs(urlsplit(login.group(1).replace("&amp;", "&")).query)
    assert query["next"] == [f"/h/{card.token}"]
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]
    assert '<meta name="robots" content="noindex, nofollow">' in html


def test_a_visitor_gets_the_same_page_for_an_unknown_or_replaced_card(client, carded):
    household, old = carded
    cards.issue_card(db.session, household, user=None, now=DAY2)
    db.session.commit()

    def page(token: str) -> str:
        response = client.get(f"/h/{token}")
        assert response.status_code == 200
        return response.get_data(as_text=True).replace(token, "TOKEN")

    known = page(_current(household).token)
    assert page(old.token) == known  # replaced: not a word more
    assert page("AAAAAAAAAAAAAAAA") == known  # no such card
    assert page("not-a-token-at-all") == known


def test_a_visitor_who_logs_in_from_the_card_lands_on_the_household(client, auth, carded):
    household, card = carded
    user = auth._make.user("field", language="en")
    response = client.post(
        f"/login?next=/h/{card.token}",
        data={"email": user.email, "password": PASSWORD, "csrf_token": auth.csrf_token()},
    )
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == f"/h/{card.token}"
    landed = client.get(f"/h/{card.token}")
    assert urlsplit(landed.headers["Location"]).path == f"/households/{household.code}"


# -- /h/<token>, logged in ------------------------------------------------------------------


@pytest.mark.parametrize("role", ["field", "admin"])
def test_staff_who_read_households_are_sent_to_the_households_page(client, login, carded, role):
    household, card = carded
    login(role)
    response = client.get(f"/h/{card.token}")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == f"/households/{household.code}"
    page = client.get(response.headers["Location"])
    assert household.head_name in text_of(page)
    assert "flash-error" not in page.get_data(as_text=True)
    # the card's short code, typed or read aloud, opens it too
    typed = client.get("/h/" + cards.shown_code(card).lower().replace("-", ""))
    assert urlsplit(typed.headers["Location"]).path == f"/households/{household.code}"


def test_a_replaced_card_opens_the_household_with_a_red_warning(client, login, carded):
    household, old = carded
    cards.issue_card(db.session, household, user=None, now=DAY2)
    db.session.commit()
    login("field")
    sent = client.get(f"/h/{old.token}")
    assert urlsplit(sent.headers["Location"]).path == f"/households/{household.code}"
    response = client.get(sent.headers["Location"])
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    warning = re.search(r'<p class="flash flash-error" role="alert">(.*?)</p>', html, re.S)
    assert warning, "no red warning"
    assert "Card replaced on 5 Dec 2026." in warning.group(1)
    assert "no longer works" in warning.group(1)


def test_an_unknown_card_is_not_found_for_staff(client, login, carded):
    login("field")
    response = client.get("/h/AAAAAAAAAAAAAAAA")
    assert response.status_code == 404
    assert "No household card has this code" in text_of(response)
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"


@pytest.mark.parametrize("role", ["donor", "warehouse"])
def test_a_donor_or_warehouse_user_may_not_open_a_card(client, login, carded, role):
    household, card = carded
    login(role)
    response = client.get(f"/h/{card.token}")
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert household.head_name not in html and household.code not in html


# -- the household page's card section ------------------------------------------------------


def test_the_household_page_shows_the_card_and_its_buttons(client, login, carded):
    household, card = carded
    login("field")
    response = client.get(f"/households/{household.code}")
    html = response.get_data(as_text=True)
    section = re.search(r'<section class="card household-card".*?</section>', html, re.S)
    assert section, "no card section"
    words = text_of_html(section.group(0))
    assert "Household card" in words and cards.shown_code(card) in words
    assert "3 Dec 2026" in words and "In use" in words
    assert "Print card" in words and "Reissue card" in words
    assert f'href="/households/{household.code}/card.pdf"' in section.group(0)
    form = re.search(
        r'<form method="post" action="([^"]+)"[^>]*data-confirm="([^"]+)"', section.group(0)
    )
    assert form and form.group(1) == f"/households/{household.code}/card"
    assert "will stop working" in form.group(2) and cards.shown_code(card) in form.group(2)
    assert 'name="csrf_token"' in section.group(0)


def test_a_household_without_a_card_is_offered_printing_its_first(client, login, make):
    household = make.household(village="Sedayu")
    login("admin")
    words = text_of(client.get(f"/households/{household.code}"))
    assert "No card has been issued to this household yet" in words
    assert "Reissue card" not in words


def test_printing_from_the_page_issues_the_card_as_a_pdf_of_its_size(app, client, login, make):
    household = make.household(village="Sedayu")
    login("field")
    response = client.get(f"/households/{household.code}/card.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    card = _current(household)
    assert page_size_mm(response.data) == (85.6, 54.0)
    [[found]] = decode_pages(response.data)
    assert found.text == f"{app.config['BASE_URL']}/h/{card.token}"


def test_reissuing_from_the_page_says_the_old_card_no_longer_works(client, login, browser, carded):
    household, old = carded
    login("field")
    response = browser.submit(
        f"/households/{household.code}/card", {}, page=f"/households/{household.code}"
    )
    assert response.status_code == 302
    new = _current(household)
    assert new.id != old.id
    page = client.get(response.headers["Location"])
    message = text_of(page)
    assert (
        f"Card {cards.shown_code(new)} is issued: card {cards.shown_code(old)} no longer works"
        in message
    )
    assert cards.shown_code(new) in message
    db.session.expire_all()
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_ref == household.code)
    ).all()
    assert "card.reissue" in actions


def test_reissuing_without_the_pages_csrf_token_changes_nothing(client, login, carded):
    household, old = carded
    login("field")
    response = client.post(f"/households/{household.code}/card", data={})
    assert response.status_code == 400
    assert _current(household).id == old.id


@pytest.mark.parametrize("role", ["warehouse", "donor"])
def test_only_those_who_print_cards_see_the_section_or_may_use_it(client, login, carded, role):
    household, old = carded
    login(role)
    assert client.get(f"/households/{household.code}/card.pdf").status_code == 403
    assert client.post(f"/households/{household.code}/card", data={}).status_code in (400, 403)
    assert _current(household).id == old.id


def text_of_html(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()
