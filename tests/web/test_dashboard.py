"""Each role's dashboard: staff see stock and expiry, a donor only their own batches."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from kitlog.extensions import db
from kitlog.services import stock
from tests.web.conftest import text_of
from tests.worlds import ScanWorld


def test_staff_see_stock_per_warehouse_and_batch(client, login, make):
    jakarta, surabaya = make.warehouse("JKT-01"), make.warehouse("SBY-01")
    batch = make.batch(received=500, damaged=12, warehouse=jakarta, lot="LOT-JKT")
    stock.transfer_stock(
        db.session,
        batch=batch,
        from_warehouse=jakarta,
        to_warehouse=surabaya,
        quantity=88,
        user=None,
    )
    db.session.commit()
    login("warehouse")
    html = client.get("/dashboard").get_data(as_text=True)
    page = text_of(client.get("/dashboard"))
    assert "Stock per warehouse and batch" in page
    # Jakarta: 500 - 12 - 88 = 400; Surabaya: 88; 488 in all
    assert "Kits on hand 488" in page
    jakarta_card = html.split("Gudang JKT-01", 1)[1].split("</article>", 1)[0]
    assert "LOT-JKT" in jakarta_card and ">400<" in jakarta_card
    surabaya_card = html.split("Gudang SBY-01", 1)[1].split("</article>", 1)[0]
    assert ">88<" in surabaya_card


def figures(html: str) -> list[int]:
    """The values of a block of figures, in the order shown."""
    values = re.findall(r'<span class="figure-value">([^<]*)</span>', html)
    return [int(re.sub(r"\D", "", value)) for value in values]


def test_the_stock_totals_are_the_sums_of_the_rows_shown(client, login, make):
    jakarta, surabaya = make.warehouse("JKT-01"), make.warehouse("SBY-01")
    make.batch(received=120, damaged=7, warehouse=surabaya, lot="LOT-SBY")
    make.batch(received=230, warehouse=jakarta, lot="LOT-JKT")
    make.allocated_parcels(3)  # a third batch in Jakarta, 3 of its 50 kits reserved
    login("warehouse")
    html = client.get("/dashboard").get_data(as_text=True)
    cells = [
        [int(value) for value in re.findall(r'<td class="num[^"]*"[^>]*>(\d+)</td>', row)]
        for row in re.findall(r"<tr>\s*<th scope=\"row\".*?</tr>", html, flags=re.S)
    ]
    assert len(cells) == 3 and all(len(row) == 3 for row in cells)
    columns = [sum(column) for column in zip(*cells, strict=True)]
    assert columns == [113 + 230 + 50, 3, 113 + 230 + 47]
    on_hand, reserved, available, _expiring = figures(html.split("</dl>", 1)[0])
    assert [on_hand, reserved, available] == columns


def test_a_donors_totals_are_the_sums_of_their_batches(client, login, make):
    koica = make.donor("KOICA")
    make.batch(received=200, damaged=10, donor=koica, lot="KOICA-LOT-1")
    make.batch(received=90, damaged=4, donor=koica, lot="KOICA-LOT-2")
    make.batch(received=300, damaged=30, donor=make.donor("DFAT"), lot="DFAT-LOT")
    login("donor", donor=koica)
    html = client.get("/dashboard").get_data(as_text=True)
    totals, *cards = html.split('<article class="card">')
    assert len(cards) == 2
    # A card's figures: pledged, received, lost, in stock, in transit, delivered.
    by_batch = [figures(card.split("</article>", 1)[0])[1:] for card in cards]
    sums = [sum(column) for column in zip(*by_batch, strict=True)]
    assert sums[:3] == [290, 14, 276]
    assert figures(totals.split("</dl>", 1)[0]) == sums


def test_batches_close_to_expiry_are_listed_and_far_ones_are_not(client, login, make):
    today = date.today()
    make.batch(received=10, lot="SOON", expiry=today + timedelta(days=30))
    make.batch(received=10, lot="GONE", expiry=today - timedelta(days=3))
    make.batch(received=10, lot="LATER", expiry=today + timedelta(days=400))
    login("admin")
    html = client.get("/dashboard").get_data(as_text=True)
    expiring = text_of_section(html, "expiry-heading")
    assert "SOON" in expiring and "Expires in" in expiring
    assert "GONE" in expiring and "Expired on" in expiring
    assert "LATER" not in expiring


def text_of_section(html: str, heading_id: str) -> str:
    return html.split(f'id="{heading_id}"', 1)[1].split("</section>", 1)[0]


def test_a_donor_sees_only_their_own_batches_as_totals(client, login, make):
    koica = make.donor("KOICA")
    other = make.donor("DFAT", name="Australian aid")
    make.batch(received=200, damaged=10, donor=koica, lot="KOICA-LOT-1")
    make.batch(received=300, donor=other, lot="DFAT-SECRET-LOT")
    login("donor", donor=koica)
    response = client.get("/dashboard")
    page = text_of(response)
    assert response.status_code == 200
    assert "KOICA-LOT-1" in page
    assert "Received 200" in page and "Lost or damaged 10" in page and "In stock 190" in page
    assert "DFAT-SECRET-LOT" not in page
    assert "300" not in page
    assert "Australian aid" not in page


def test_a_field_officer_gets_a_welcome_and_no_stock_figures(client, login, make):
    make.batch(received=777, lot="FIELD-HIDDEN-LOT")
    login("field")
    page = text_of(client.get("/dashboard"))
    assert "Welcome" in page
    assert "Mask" in page  # what a kit contains is reference data a field officer may read
    assert "FIELD-HIDDEN-LOT" not in page
    assert "777" not in page


def test_the_navigation_offers_only_what_the_role_may_open(client, login):
    login("warehouse")
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/stock/receive"' in html
    assert 'href="/stock/movements"' in html
    assert 'href="/admin/users"' not in html
    assert 'href="/donors/new"' not in html


def test_the_header_shows_the_user_name_and_translated_role(client, login):
    login("warehouse")
    page = text_of(client.get("/dashboard"))
    assert "Warehouse User Warehouse staff" in page


def test_a_field_officer_starts_from_registering_and_finding_households(client, login, make):
    officer = login("field")
    make.household(head_name="Sri Wahyuni")
    household = make.household(head_name="Siti Aminah")
    household.created_by_id = officer.id
    db.session.commit()
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/households/new"' in html
    assert 'href="/households/"' in html
    assert "registered 1 household so far" in text_of(client.get("/dashboard"))


def test_the_navigation_hides_households_from_warehouse_staff_and_donors(client, login):
    login("warehouse")
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/households/' not in html
    assert 'href="/rounds/"' in html


def test_the_administrator_sees_the_day_of_the_rounds_in_progress(client, login, make):
    world = ScanWorld(make)
    delivered, failed, _, _ = world.parcels
    manifest = world.on_the_road([delivered, failed])
    world.scan(delivered, "deliver", at=datetime.now(UTC))
    world.scan(failed, "fail", reason="nobody_home", at=datetime.now(UTC))
    login("admin")
    html = client.get("/dashboard").get_data(as_text=True)
    day = html.split('id="day-heading"', 1)[1].split('class="day-stock-heading"', 1)[0]
    values = re.findall(r'data-day="([a-z_]+)">(\d+)<', day.split("</dl>", 1)[0])
    assert values == [
        ("delivered_today", "1"),
        ("failed_today", "1"),
        ("in_transit", "0"),
        ("follow_ups", "1"),
        ("flagged", "0"),
        ("card_mismatches", "0"),
    ]
    assert "Round 1" in day and manifest.number in day
    assert 'data-day="failure-nobody_home">1<' in day
    assert "Last updated" in day and 'src="/static/js/dashboard.js"' in html
    assert "Stock per warehouse and batch" in text_of(client.get("/dashboard"))


def test_warehouse_staff_keep_their_dashboard_without_the_day(client, login, make):
    ScanWorld(make)
    login("warehouse")
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Stock per warehouse and batch" in html
    assert "day-heading" not in html and "Rounds in progress" not in html
    assert "dashboard.js" not in html


def test_the_days_figures_as_json_are_the_administrators_and_never_kept(client, auth, make):
    world = ScanWorld(make)
    world.on_the_road(world.parcels[:1])
    auth.login("admin")
    response = client.get("/dashboard/day.json")
    assert response.status_code == 200 and response.is_json
    assert "no-store" in response.headers["Cache-Control"]
    body = response.get_json()
    assert body["totals"] == {
        "delivered_today": 0,
        "failed_today": 0,
        "in_transit": 1,
        "follow_ups": 0,
        "flagged": 0,
        "card_mismatches": 0,
    }
    assert [r["name"] for r in body["rounds"]] == ["Round 1"]
    assert [f["reason"] for f in body["failures"]][0] == "nobody_home"
    assert re.fullmatch(r"\d\d:\d\d", body["updated_at"])
    for role in ("warehouse", "field", "donor"):
        auth.logout()
        auth.login(role)
        response = client.get("/dashboard/day.json")
        assert response.status_code == 403, role
        assert "Round 1" not in response.get_data(as_text=True)
