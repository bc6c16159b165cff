"""The household's own feedback page, /f/<card token>: filled in with no login, in
Indonesian whatever the browser asks, linked to the card's household (a replaced card's
too), the same for an unknown card, closed to robots (a honeypot) and to floods (5 an hour,
20 a day from one address), and showing nothing about the household."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import Feedback
from kitlog.models.base import utcnow
from kitlog.services import cards
from kitlog.services import feedback as feedback_service
from tests.web.conftest import csrf_token, field_errors, text_of

NUMBER = re.compile(r"FB-\d{4}-\d{4}")
ADDRESS = "203.0.113.7"


@pytest.fixture
def carded(make):
    """A household in Sedayu with a card issued."""
    household = make.household(
        village="Sedayu", head_name="Siti Rahayu Wulandari", phone="081234567890"
    )
    card = cards.issue_card(db.session, household, user=None)
    db.session.commit()
    return household, card


def _visitor(app, address: str = ADDRESS):
    """A browser that never logged in, on a phone set to English."""
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": address, "HTTP_ACCEPT_LANGUAGE": "en-US,en"})
    return client


def _send(client, token: str, **data):
    """Open the page and send its form, as a visitor does."""
    page = client.get(f"/f/{token}")
    assert page.status_code == 200
    form = {"csrf_token": csrf_token(page.get_data(as_text=True)), **data}
    return client.post(f"/f/{token}", data=form)


def _stored() -> list[Feedback]:
    db.session.commit()  # a new transaction sees what the request committed
    return list(db.session.scalars(select(Feedback).order_by(Feedback.id)))


def _personal(household) -> list[str]:
    return [
        household.head_name,
        "Wulandari",
        household.code,
        household.village,
        household.district,
        household.nik,
        household.phone,
        household.phone[-8:],
        household.worker_name,
    ]


def _assert_nothing_personal(response, household) -> None:
    html = response.get_data(as_text=True)
    for personal in _personal(household):
        assert personal not in html, personal


def _assert_private_headers(response) -> None:
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]


def test_a_household_sends_feedback_from_its_card_with_no_login(app, carded):
    household, card = carded
    client = _visitor(app)
    page = client.get(f"/f/{card.token}")
    assert page.status_code == 200
    words = text_of(page)
    assert '<html lang="id">' in page.get_data(as_text=True)  # whatever the browser asks
    assert "Masukan dan keluhan" in words
    for category in (
        "Paket belum diterima",
        "Paket rusak",
        "Isi paket kurang",
        "Diterima orang lain",
        "Perilaku petugas",
        "Pertanyaan",
        "Lainnya",
    ):
        assert category in words
    assert "/login" not in page.get_data(as_text=True)  # no login, no menu
    _assert_nothing_personal(page, household)
    _assert_private_headers(page)

    thanks = _send(client, card.token, category="damaged", text="  Sabunnya pecah semua.  ")
    assert thanks.status_code == 200
    [entry] = _stored()
    words = text_of(thanks)
    assert "Terima kasih, pesan Anda sudah kami terima" in words
    assert NUMBER.findall(words) == [entry.number]
    assert "Sabunnya" not in words  # the thanks and the number, nothing else
    _assert_nothing_personal(thanks, household)
    _assert_private_headers(thanks)
    assert (entry.channel, entry.category, entry.text) == (
        "public",
        "damaged",
        "Sabunnya pecah semua.",
    )
    assert entry.household_id == household.id
    assert entry.created_by_id is None
    assert entry.sensitive is False
    expected = hmac.new(b"test-secret-key", ADDRESS.encode(), hashlib.sha256).hexdigest()
    assert entry.source_key == expected  # a keyed hash: never the address itself
    assert ADDRESS not in entry.source_key


def test_staff_conduct_from_the_page_is_sensitive(app, carded):
    _household, card = carded
    response = _send(_visitor(app), card.token, category="staff_conduct", text="Petugas kasar.")
    assert response.status_code == 200
    [entry] = _stored()
    assert entry.sensitive is True


def test_a_replaced_cards_feedback_is_linked_to_its_household_too(app, carded):
    household, old = carded
    cards.issue_card(db.session, household, user=None)
    db.session.commit()
    response = _send(_visitor(app), old.token, category="not_received", text="Belum datang.")
    assert response.status_code == 200
    [entry] = _stored()
    assert entry.household_id == household.id


def test_an_unknown_card_gets_the_same_page_and_thanks_and_is_stored_without_household(app, carded):
    household, card = carded
    client = _visitor(app)
    known = client.get(f"/f/{card.token}").get_data(as_text=True)
    unknown_token = "Z" * len(card.token)
    unknown = client.get(f"/f/{unknown_token}").get_data(as_text=True)

    def same(html: str, token: str) -> str:
        return CSRF_VALUE.sub("", html.replace(token, "TOKEN"))

    assert same(known, card.token) == same(unknown, unknown_token)
    response = _send(client, unknown_token, category="question", text="Kapan paket datang?")
    assert response.status_code == 200
    [entry] = _stored()
    assert NUMBER.findall(text_of(response)) == [entry.number]
    assert entry.household_id is None
    assert entry.channel == "public"


CSRF_VALUE = re.compile(r'value="[^"]*"')


def test_a_robot_that_fills_the_honeypot_is_thanked_and_nothing_is_stored(app, carded):
    household, card = carded
    page = _visitor(app).get(f"/f/{card.token}").get_data(as_text=True)
    honeypot = re.search(r'<div class="honeypot" aria-hidden="true">.*?</div>', page, re.S)
    assert honeypot, "no honeypot"
    assert 'tabindex="-1"' in honeypot.group(0)
    assert 'autocomplete="off"' in honeypot.group(0)
    response = _send(
        _visitor(app),
        card.token,
        category="other",
        text="Buy cheap watches",
        website="http://spam.example",
    )
    assert response.status_code == 200
    assert "Terima kasih, pesan Anda sudah kami terima" in text_of(response)
    assert NUMBER.search(text_of(response))
    _assert_nothing_personal(response, household)
    assert _stored() == []


def test_the_sixth_entry_in_an_hour_from_one_address_is_refused(app, carded):
    _household, card = carded
    client = _visitor(app)
    for n in range(5):
        response = _send(client, card.token, category="question", text=f"Pertanyaan {n}")
        assert response.status_code == 200, n
    refused = _send(client, card.token, category="question", text="Pertanyaan keenam")
    assert refused.status_code == 429
    words = text_of(refused)
    assert "Sudah banyak masukan yang dikirim dari jaringan ini" in words
    assert not NUMBER.search(words)
    assert int(refused.headers["Retry-After"]) > 0
    _assert_private_headers(refused)
    assert len(_stored()) == 5
    # another address is not held back by this one
    other = _send(_visitor(app, "198.51.100.9"), card.token, category="question", text="Saya")
    assert other.status_code == 200
    assert len(_stored()) == 6


def test_the_twenty_first_entry_in_a_day_from_one_address_is_refused(app, carded):
    _household, card = carded
    key = feedback_service.source_key("test-secret-key", ADDRESS)
    now = utcnow()
    for n in reversed(range(20)):  # one every half hour, all more than an hour ago
        feedback_service.record_public_feedback(
            db.session,
            {"category": "question", "text": f"Pertanyaan {n}"},
            card_token=card.token,
            source_key=key,
            now=now - timedelta(hours=2, minutes=30 * n),
        )
    db.session.commit()
    refused = _send(_visitor(app), card.token, category="question", text="Lagi")
    assert refused.status_code == 429
    assert db.session.scalar(select(func.count()).select_from(Feedback)) == 20


def test_a_form_without_a_category_or_a_message_is_shown_again_in_indonesian(app, carded):
    household, card = carded
    client = _visitor(app)
    response = _send(client, card.token, text="   ")
    assert response.status_code == 422
    assert "Pesan belum disampaikan" in text_of(response)
    assert "Pilih dulu masukan Anda tentang apa." in field_errors(response, "category")
    assert field_errors(response, "text") == "Tulis pesan Anda."
    _assert_nothing_personal(response, household)
    long = _send(client, card.token, category="other", text="a" * 2001)
    assert long.status_code == 422
    assert field_errors(long, "text") == "Maksimal 2000 karakter."
    assert _stored() == []


def test_a_stale_form_is_shown_again_with_what_was_written(app, carded):
    household, card = carded
    client = _visitor(app)
    client.get(f"/f/{card.token}")
    response = client.post(
        f"/f/{card.token}",
        data={"csrf_token": "stale", "category": "damaged", "text": "Kardusnya basah."},
    )
    assert response.status_code == 422
    words = text_of(response)
    assert "Halaman ini terbuka terlalu lama. Periksa pesan Anda, lalu kirim lagi." in words
    assert "Kardusnya basah." in words
    assert re.search(r'<input checked [^>]*value="damaged"', response.get_data(as_text=True))
    _assert_nothing_personal(response, household)
    assert _stored() == []
    again = client.post(
        f"/f/{card.token}",
        data={
            "csrf_token": csrf_token(response.get_data(as_text=True)),
            "category": "damaged",
            "text": "Kardusnya basah.",
        },
    )
    assert again.status_code == 200
    assert len(_stored()) == 1


def test_the_cards_page_leads_a_visitor_to_the_feedback_page(app, carded):
    household, card = carded
    page = _visitor(app).get(f"/h/{card.token}", headers={"Accept-Language": "id"})
    html = page.get_data(as_text=True)
    link = re.search(r'<a [^>]*href="(/f/[^"]+)"[^>]*>\s*Sampaikan masukan atau keluhan', html)
    assert link, "no link to the feedback page"
    assert link.group(1) == f"/f/{card.token}"
    _assert_nothing_personal(page, household)
