"""The movement ledger: newest first, filtered by batch, warehouse, kind and local dates,
paginated, and never a server error for a bad filter."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

import pytest

from kitlog.extensions import db
from kitlog.services import stock
from tests.web.conftest import field_errors, text_of

ROW_RE = re.compile(r"<tr>(.*?)</tr>", re.S)


def _cell(row: str, name: str) -> str:
    match = re.search(rf'<td class="[^"]*\bc-{name}\b[^"]*"[^>]*>(.*?)</td>', row, re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", match.group(1)))).strip()


def ledger_rows(response) -> list[tuple[str, str, str, str]]:
    """(kind, kits, warehouse, lot) of each row shown, top to bottom."""
    html = response.get_data(as_text=True)
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return [
        (_cell(r, "kind"), _cell(r, "qty"), _cell(r, "wh"), _cell(r, "lot"))
        for r in ROW_RE.findall(body)
    ]


@pytest.fixture
def ledger(make):
    """Lot A arrives in Jakarta late on 1 March UTC (2 March in Jakarta), lot B in
    Surabaya on 5 March with 5 damaged, then 10 kits of A go to Surabaya on 10 March."""
    jakarta, surabaya = make.warehouse("JKT-01"), make.warehouse("SBY-01")
    donor, kit = make.donor("KOICA"), make.kit_type()

    def receive(lot, warehouse, received, damaged, when):
        return stock.receive_batch(
            db.session,
            donor=donor,
            kit_type=kit,
            warehouse=warehouse,
            reference="AGR",
            lot=lot,
            expiry_date=None,
            quantity_pledged=received,
            quantity_received=received,
            quantity_damaged=damaged,
            received_date=when.date(),
            user=None,
            now=when,
        )

    a = receive("LOT-A", jakarta, 100, 0, datetime(2026, 3, 1, 20, 0, tzinfo=UTC))
    b = receive("LOT-B", surabaya, 50, 5, datetime(2026, 3, 5, 2, 0, tzinfo=UTC))
    stock.transfer_stock(
        db.session,
        batch=a,
        from_warehouse=jakarta,
        to_warehouse=surabaya,
        quantity=10,
        user=None,
        now=datetime(2026, 3, 10, 12, 0, tzinfo=UTC),
    )
    db.session.commit()
    return {"a": a.id, "b": b.id, "jakarta": jakarta.id, "surabaya": surabaya.id}


def test_the_ledger_lists_every_movement_newest_first_with_kind_and_signed_kits(
    client, login, ledger
):
    login("warehouse")
    response = client.get("/stock/movements")
    assert response.status_code == 200
    assert ledger_rows(response) == [
        ("Transfer in", "+10", "SBY-01", "LOT-A"),
        ("Transfer out", "-10", "JKT-01", "LOT-A"),
        ("Loss", "-5", "SBY-01", "LOT-B"),
        ("Receipt", "+50", "SBY-01", "LOT-B"),
        ("Receipt", "+100", "JKT-01", "LOT-A"),
    ]
    assert "Damaged at receipt" in text_of(response)


def test_filtering_by_batch_shows_only_that_batch(client, login, ledger):
    login("warehouse")
    rows = ledger_rows(client.get(f"/stock/movements?batch={ledger['a']}"))
    assert [r[3] for r in rows] == ["LOT-A", "LOT-A", "LOT-A"]


def test_filtering_by_warehouse_shows_only_that_warehouse(client, login, ledger):
    login("warehouse")
    rows = ledger_rows(client.get(f"/stock/movements?warehouse={ledger['surabaya']}"))
    assert [(r[0], r[2]) for r in rows] == [
        ("Transfer in", "SBY-01"),
        ("Loss", "SBY-01"),
        ("Receipt", "SBY-01"),
    ]


def test_filtering_by_kind_shows_only_that_kind(client, login, ledger):
    login("warehouse")
    assert ledger_rows(client.get("/stock/movements?kind=loss")) == [
        ("Loss", "-5", "SBY-01", "LOT-B")
    ]


def test_filters_combine(client, login, ledger):
    login("warehouse")
    path = f"/stock/movements?batch={ledger['a']}&warehouse={ledger['jakarta']}&kind=receipt"
    assert ledger_rows(client.get(path)) == [("Receipt", "+100", "JKT-01", "LOT-A")]


def test_dates_are_days_in_the_deployment_time_zone(client, login, ledger):
    """20:00 UTC on 1 March is 03:00 on 2 March in Jakarta: it is a 2 March movement."""
    login("warehouse")
    on_the_2nd = client.get("/stock/movements?date_from=2026-03-02&date_to=2026-03-02")
    assert ledger_rows(on_the_2nd) == [("Receipt", "+100", "JKT-01", "LOT-A")]
    assert "2 Mar 2026" in _cell(on_the_2nd.get_data(as_text=True), "when")  # shown local too
    assert ledger_rows(client.get("/stock/movements?date_to=2026-03-01")) == []
    from_the_5th = ledger_rows(client.get("/stock/movements?date_from=2026-03-05"))
    assert [r[0] for r in from_the_5th] == ["Transfer in", "Transfer out", "Loss", "Receipt"]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("warehouse=abc", "warehouse", "Choose one from the list."),
        ("warehouse=999999", "warehouse", "Choose one from the list."),
        ("batch=-1", "batch", "Choose one from the list."),
        ("kind=teleport", "kind", "Choose one from the list."),
        ("date_from=notadate", "date_from", "Not a valid date value."),
        ("date_to=2026-02-30", "date_to", "Not a valid date value."),
        ("date_from=2026-03-05&date_to=2026-03-01", "date_to", "The end date is before"),
    ],
)
def test_a_bad_filter_gets_a_clear_message_and_never_a_server_error(
    client, login, ledger, query, field, message
):
    login("warehouse")
    response = client.get(f"/stock/movements?{query}")
    assert response.status_code == 422
    assert message in field_errors(response, field)
    assert "Some filters are not valid" in text_of(response)
    assert ledger_rows(response) == []


def test_the_ledger_is_paginated_and_a_bad_page_number_means_the_first_page(client, login, make):
    warehouse = make.warehouse("JKT-01")
    batch = make.batch(received=1, warehouse=warehouse, lot="LOT-P")
    for n in range(55):
        stock.adjust_stock(
            db.session,
            batch=batch,
            warehouse=warehouse,
            quantity=1,
            kind="adjustment",
            reason=f"count {n}",
            user=None,
        )
    db.session.commit()
    login("warehouse")
    first = client.get("/stock/movements")
    assert len(ledger_rows(first)) == 50
    assert "56 movements" in text_of(first)
    assert "Page 1 of 2" in text_of(first)
    second = client.get("/stock/movements?page=2")
    rows = ledger_rows(second)
    assert len(rows) == 6
    assert rows[-1][0] == "Receipt"
    assert ledger_rows(client.get("/stock/movements?page=abc")) == ledger_rows(first)
    assert ledger_rows(client.get("/stock/movements?page=99")) == []


def test_a_filtered_page_link_keeps_the_filters(client, login, make):
    warehouse = make.warehouse("JKT-01")
    batch = make.batch(received=1, warehouse=warehouse)
    for _ in range(51):
        stock.adjust_stock(
            db.session,
            batch=batch,
            warehouse=warehouse,
            quantity=1,
            kind="adjustment",
            reason="count",
            user=None,
        )
    db.session.commit()
    login("admin")
    html = client.get("/stock/movements?kind=adjustment").get_data(as_text=True)
    assert 'href="/stock/movements?kind=adjustment&amp;page=2"' in html
