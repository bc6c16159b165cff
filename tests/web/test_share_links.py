"""Share links: a read-only, expiring, revocable link to one donor's aggregated report for
someone without an account. The token is shown once and only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import ShareLink
from kitlog.models.base import utcnow
from kitlog.services import share_links
from kitlog.services.errors import InvalidValue
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
