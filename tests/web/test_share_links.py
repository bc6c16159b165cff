"""Share links: a read-only, expiring, revocable link to one donor's aggregated report for
someone without an account. The token is shown once and only its SHA-256 is stored."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import ShareLink
from kitlog.models.base import utcnow
from kitlog.services import share_links
from kitlog.services.errors import InvalidValue
from tests.documents.pdf import page_texts
from tests.web.conftest import text_of
from tests.worlds import ReportWorld

LINK_RE = re.compile(r'value="https?://[^"/]+/share/([A-Za-z0-9_-]+)"')


@pytest.fixture
def world(make) -> ReportWorld:
    world = ReportWorld(make)
    world.play()
    return world


def create(browser, code="KOICA", **data):
    data = {"label": "KOICA Jakarta office", "days": "30", **data}
    return browser.submit(f"/reports/donors/{code}/share", data)


def token_of(response) -> str:
    match = LINK_RE.search(response.get_data(as_text=True))
    assert match, text_of(response)
    return match.group(1)


def test_a_donor_user_creates_a_link_shown_once_and_stored_as_a_hash(client, browser, login, world):
    login("donor", donor=world.koica)
    response = create(browser)
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    token = token_of(response)
    assert len(token) >= 32
    assert "shown only this once" in text_of(response)
    link = db.session.scalars(select(ShareLink)).one()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert link.label == "KOICA Jakarta office" and link.donor_id == world.koica.id
    listing = client.get("/reports/donors/KOICA/share").get_data(as_text=True)
    assert "KOICA Jakarta office" in listing and "never used" in listing
    assert token not in listing  # never shown again


def test_the_shared_page_shows_the_report_without_the_app_and_counts_uses(
    app, browser, login, world
):
    login("admin")
    token = token_of(create(browser))
    stranger = app.test_client()  # no account, no session
    page = stranger.get(f"/share/{token}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert page.headers["X-Robots-Tag"].startswith("noindex")
    assert page.headers["Referrer-Policy"] == "no-referrer"
    text = text_of(page)
    assert "Report for Donor KOICA" in text
    assert "Households reached 3" in text and "LOT-A 10 + 0 = 1 + 2 + 1 + 6 reconciles" in text
    html = page.get_data(as_text=True)
    assert "Main menu" not in html and "/dashboard" not in html and "Log out" not in html
    assert 'href="/reports' not in html and 'href="/households' not in html
    stranger.get(f"/share/{token}")
    link = db.session.scalars(select(ShareLink)).one()
    db.session.refresh(link)
    assert link.uses == 2 and link.last_used_at is not None


def test_unknown_expired_and_revoked_tokens_answer_the_same_404(client, browser, login, world):
    login("admin")
    live = token_of(create(browser, label="live"))
    revoked = token_of(create(browser, label="revoked"))
    expired = token_of(create(browser, label="expired", days="1"))
    link = db.session.scalar(select(ShareLink).where(ShareLink.label == "expired"))
    link.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    revoked_link = db.session.scalar(select(ShareLink).where(ShareLink.label == "revoked"))
    response = browser.submit(
        f"/reports/donors/KOICA/share/{revoked_link.id}/revoke",
        {},
        page="/reports/donors/KOICA/share",
    )
    assert response.status_code == 302
    answers = [
        client.get(f"/share/{token}")
        for token in (revoked, expired, "x" * 32, live[:-1] + ("A" if live[-1] != "A" else "B"))
    ]
    bodies = {a.get_data(as_text=True) for a in answers}
    assert [a.status_code for a in answers] == [404] * 4
    assert len(bodies) == 1  # no hint which
    assert all(a.headers["X-Robots-Tag"].startswith("noindex") for a in answers)
    assert client.get(f"/share/{live}").status_code == 200
    db.session.refresh(revoked_link)
    assert revoked_link.uses == 0  # a refused use is not counted


def test_the_expiry_is_one_to_ninety_days_and_a_label_is_needed(client, browser, login, world):
    login("admin")
    for days in ("0", "91", "many"):
        response = create(browser, days=days)
        assert response.status_code == 422, days
    assert create(browser, label="  ").status_code == 422
    assert db.session.scalars(select(ShareLink)).all() == []
    assert create(browser, days="90").status_code == 201
    link = db.session.scalars(select(ShareLink)).one()
    assert link.expires_at.replace(tzinfo=None) - link.created_at.replace(tzinfo=None) == timedelta(
        days=90
    )
    with pytest.raises(InvalidValue):
        share_links.create_share_link(db.session, world.koica, label="x", days=91, user=None)


def test_the_form_offers_thirty_days_by_default(client, login, world):
    login("admin")
    html = client.get("/reports/donors/KOICA/share").get_data(as_text=True)
    assert re.search(r'name="days"[^>]*value="30"|value="30"[^>]*name="days"', html)


def test_a_donor_user_cannot_see_or_make_or_revoke_another_donors_links(
    client, browser, login, make, world
):
    _link, _token = share_links.create_share_link(
        db.session, world.koica, label="KOICA's", user=None
    )
    db.session.commit()
    login("donor", donor=world.dfat)
    assert client.get("/reports/donors/KOICA/share").status_code == 403
    token = re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"',
        client.get("/reports/donors/DFAT/share").get_data(as_text=True),
    ).group(1)
    posted = client.post(
        "/reports/donors/KOICA/share", data={"label": "x", "days": "5", "csrf_token": token}
    )
    assert posted.status_code == 403
    revoke = client.post(
        f"/reports/donors/KOICA/share/{_link.id}/revoke", data={"csrf_token": token}
    )
    assert revoke.status_code == 403
    # nor through their own donor's URL
    revoke = client.post(
        f"/reports/donors/DFAT/share/{_link.id}/revoke", data={"csrf_token": token}
    )
    assert revoke.status_code == 404
    db.session.refresh(_link)
    assert _link.revoked_at is None
    assert db.session.scalars(select(ShareLink)).all() == [_link]


@pytest.mark.parametrize("role", ["warehouse", "field"])
def test_staff_other_than_the_admin_do_not_share_reports(client, login, world, role):
    login(role)
    assert client.get("/reports/donors/KOICA/share").status_code == 403


# The language a link opens in: the creator's choice, whatever the reader's browser asks
# for, until the reader switches (?lang=, kept in their session).

KOREAN_BROWSER = {"Accept-Language": "ko-KR,ko;q=0.9"}
HEADING = {"id": "Laporan untuk Donor KOICA", "en": "Report for Donor KOICA"}
REFUSAL = {
    "id": "Tautan ini tidak membuka laporan apa pun",
    "en": "This link does not open a report",
}
SWITCH_RE = re.compile(
    r'<form method="get" class="language-switch">\s*'
    r'<button type="submit" name="lang" value="(\w+)" lang="\1" class="button-quiet">'
    r"\s*([^<]+?)\s*</button>"
)


def language_of(response) -> str:
    """The page's language as a reader (and a screen reader) meets it: <html lang> and
    the heading must agree."""
    lang = re.search(r'<html lang="(\w+)"', response.get_data(as_text=True)).group(1)
    expected = HEADING if response.status_code == 200 else REFUSAL
    assert expected[lang] in text_of(response), (lang, text_of(response)[:200])
    return lang


def switch_of(response) -> tuple[str, str]:
    """The language switch's offer: the language it asks for, and the button's words."""
    match = SWITCH_RE.search(response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:1500]
    return match.group(1), match.group(2)


def link_in(language: str, world, label: str = "KOICA Seoul office", **kw) -> str:
    _link, token = share_links.create_share_link(
        db.session, world.koica, label=label, language=language, user=None, **kw
    )
    db.session.commit()
    return token


def test_a_link_keeps_the_language_its_creator_chose(client, browser, login, world):
    login("admin")  # whose pages are in English
    form = client.get("/reports/donors/KOICA/share").get_data(as_text=True)
    assert re.search(r'<option selected value="en">English</option>', form)  # their own
    assert create(browser, label="for Jakarta", language="id").status_code == 201
    assert create(browser, label="for Seoul").status_code == 201  # the form's default
    refused = create(browser, label="for Busan", language="ko")
    assert refused.status_code == 422
    stored = dict(db.session.execute(select(ShareLink.label, ShareLink.language)).all())
    assert stored == {"for Jakarta": "id", "for Seoul": "en"}
    listing = text_of(client.get("/reports/donors/KOICA/share"))
    assert "opens in Bahasa Indonesia" in listing and "opens in English" in listing
    with pytest.raises(InvalidValue):
        share_links.create_share_link(db.session, world.koica, label="x", language="ko", user=None)


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_korean_browser_reads_the_link_in_its_creators_language(app, world, language):
    token = link_in(language, world)
    other = "en" if language == "id" else "id"
    for header in (KOREAN_BROWSER, {"Accept-Language": f"{other};q=1"}):
        reader = app.test_client()
        page = reader.get(f"/share/{token}", headers=header)
        assert page.status_code == 200
        assert language_of(page) == language, header
        assert switch_of(page) == (other, {"id": "Bahasa Indonesia", "en": "English"}[other])


def test_the_switch_shows_the_other_language_and_is_remembered(app, world):
    token = link_in("id", world)
    reader = app.test_client()
    page = reader.get(f"/share/{token}", headers=KOREAN_BROWSER)
    asked, _words = switch_of(page)  # the form has no action: the same address, ?lang=
    switched = reader.get(f"/share/{token}?lang={asked}", headers=KOREAN_BROWSER)
    assert switched.status_code == 200 and language_of(switched) == "en"
    assert switch_of(switched)[0] == "id"  # and back again
    again = reader.get(f"/share/{token}", headers=KOREAN_BROWSER)
    assert language_of(again) == "en"  # remembered for this reader
    assert language_of(reader.get(f"/share/{link_in('id', world, 'another')}")) == "en"
    assert language_of(app.test_client().get(f"/share/{token}")) == "id"  # not for others
    assert set(db.session.scalars(select(ShareLink.language))) == {"id"}  # the links keep theirs
    back = reader.get(f"/share/{token}?lang=id")
    assert language_of(back) == "id" and language_of(reader.get(f"/share/{token}")) == "id"


@pytest.mark.parametrize("asked", ["ko", "", "EN", "en-US", "../en", "id%00"])
def test_an_unknown_language_is_ignored(app, world, asked):
    token = link_in("id", world)
    reader = app.test_client()
    page = reader.get(f"/share/{token}?lang={asked}", headers=KOREAN_BROWSER)
    assert page.status_code == 200 and language_of(page) == "id"
    reader.get(f"/share/{token}?lang=en")  # the reader's choice
    page = reader.get(f"/share/{token}?lang={asked}")
    assert page.status_code == 200 and language_of(page) == "en"  # unchanged
    assert language_of(reader.get(f"/share/{token}")) == "en"


def test_the_downloads_follow_the_pages_language(app, world):
    token = link_in("id", world)
    reader = app.test_client()
    for language, donor_column, pdf_title in (
        ("id", "Donatur", "Laporan donatur: Donor KOICA"),
        ("en", "Donor", "Donor report: Donor KOICA"),
    ):
        html = reader.get(f"/share/{token}?lang={language}").get_data(as_text=True)
        found = re.findall(r'href="(/share/[^".?]+\.(\w+)\?lang=\w+)"', html)
        links = {kind: url for url, kind in found}
        assert set(links) == {"csv", "xlsx", "pdf"}
        header = next(csv.reader(io.StringIO(reader.get(links["csv"]).data.decode("utf-8-sig"))))
        assert header[0] == donor_column, language
        sheet = openpyxl.load_workbook(io.BytesIO(reader.get(links["xlsx"]).data)).worksheets[0]
        assert sheet.cell(1, 1).value == donor_column, language
        assert pdf_title in page_texts(reader.get(links["pdf"]).data)[0], language


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_revoked_or_expired_link_still_refuses_in_either_language(app, world, language):
    revoked_link, revoked = share_links.create_share_link(
        db.session, world.koica, label="revoked", language="en", user=None
    )
    share_links.revoke_share_link(db.session, revoked_link, user=None)
    db.session.commit()
    expired = link_in("en", world, "expired", days=1, now=utcnow() - timedelta(days=2))
    tokens = (revoked, expired, "x" * 32)
    asked = app.test_client()
    answers = [asked.get(f"/share/{token}?lang={language}") for token in tokens]
    assert [a.status_code for a in answers] == [404] * 3
    assert {language_of(a) for a in answers} == {language}
    assert len({a.get_data(as_text=True) for a in answers}) == 1  # still no hint which
    chose = app.test_client()
    chose.get(f"/share/{link_in('id', world, 'live')}?lang={language}")  # switched on a live one
    for token in tokens:
        for path in (f"/share/{token}", f"/share/{token}.pdf", f"/share/{token}.csv"):
            refused = chose.get(path, headers=KOREAN_BROWSER)
            assert refused.status_code == 404 and language_of(refused) == language, path
    assert db.session.scalar(select(ShareLink.uses).where(ShareLink.label == "revoked")) == 0
