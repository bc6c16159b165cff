"""The stock report page and its XLSX: who may see them, the figures per batch, donor and
in total, the period's form and its refusals, and the sheet read back with openpyxl."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from kitlog.extensions import db
from kitlog.services import stock
from tests.web.conftest import field_errors, text_of
from tests.worlds import START, LedgerWorld

URL = "/stock/report?warehouse=JKT-01&from=2026-11-01&to=2026-11-29"
XLSX = "/stock/report.xlsx?warehouse=JKT-01&from=2026-11-01&to=2026-11-29"


class TableRows(HTMLParser):
    """The text of each cell of each row of the table with the given id."""

    def __init__(self, table_id: str):
        super().__init__()
        self.table_id = table_id
        self.depth = 0  # > 0 inside the table
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.in_small = False

    def handle_starttag(self, tag, attrs):
        if tag == "table" and (self.depth or dict(attrs).get("id") == self.table_id):
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self.cell = []
        elif self.depth and tag == "small":
            self.in_small = True

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "small":
            self.in_small = False

    def handle_data(self, data):
        if self.cell is not None and not self.in_small:  # <small> holds the breakdown
            self.cell.append(data)


def page_rows(response, table_id: str = "stock-report") -> list[list]:
    parser = TableRows(table_id)
    parser.feed(response.get_data(as_text=True))
    rows = [row for row in parser.rows[1:] if row]  # the header row first
    return [
        [int(c.replace(",", "")) if c.lstrip("+-").replace(",", "").isdigit() else c for c in row]
        for row in rows
    ]


def sheet_rows(data: bytes):
    sheet = load_workbook(BytesIO(data))["Stock report"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    return sheet, rows


@pytest.fixture
def world(make) -> LedgerWorld:
    return LedgerWorld(make)


@pytest.mark.parametrize(("role", "status"), [("warehouse", 200), ("admin", 200)])
def test_the_warehouse_and_the_admin_see_the_report(world, login, client, role, status):
    login(role)
    assert client.get(URL).status_code == status
    response = client.get(XLSX)
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert (
        'filename="stock-report-JKT-01-2026-11-01-2026-11-29.xlsx"'
        in response.headers["Content-Disposition"]
    )


@pytest.mark.parametrize("role", ["field", "donor"])
def test_field_officers_and_donors_may_not_see_it(world, login, client, role):
    login(role)
    assert client.get(URL).status_code == 403
    assert client.get(XLSX).status_code == 403


def test_nobody_logged_out_sees_it(world, client):
    response = client.get(URL)
    assert response.status_code in (302, 401)
    assert "/login" in response.headers.get("Location", "/login")


def test_the_page_shows_each_batch_the_donor_totals_and_the_total(world, login, client):
    login("warehouse")
    response = client.get(URL)
    assert response.status_code == 200
    page = text_of(response)
    assert "JKT-01 · Gudang JKT-01" in page
    assert "From 1 November 2026 to 29 November 2026 inclusive (Asia/Jakarta)" in page
    rows = page_rows(response)
    # lot (with kit type and expiry, in <small>), donor, opening, in, out, losses,
    # adjustments, closing
    assert rows == [
        ["LOT-B", "DFAT", 0, 31, 3, 0, 0, 28],
        ["LOT-A", "KOICA", 95, 0, 20, 6, 4, 73],
        ["LOT-C", "KOICA", 10, 0, 0, 0, 0, 10],
        ["Total for DFAT", "Australian Aid", 0, 31, 3, 0, 0, 28],
        ["Total for KOICA", "Donor KOICA", 105, 0, 20, 6, 4, 83],
        ["Total", "All donors", 105, 31, 23, 6, 4, 111],
    ]
    for row in rows:
        _lot, _donor, opening, kits_in, kits_out, losses, adjustments, closing = row
        assert opening + kits_in - kits_out - losses + adjustments == closing
    assert "+4" in page  # an adjustment is signed
    assert "received 30 · returned 1" in page  # what the 31 kits in were
    assert page_rows(response, "stock-report-losses") == [
        ["Flooded shelf", "LOT-A", "KOICA", 4],
        ["Stolen", "LOT-A", "KOICA", 2],
    ]
    assert 'href="/stock/report.xlsx?warehouse=JKT-01&amp;from=2026-11-01&amp;to=2026-11-29"' in (
        response.get_data(as_text=True)
    )


def test_the_xlsx_holds_the_page_figures_as_numbers(world, login, client):
    login("admin")
    page = page_rows(client.get(URL))
    sheet, rows = sheet_rows(client.get(XLSX).data)
    assert rows[0][0] == "Stock report"
    assert rows[1][:2] == ["Warehouse", "JKT-01 · Gudang JKT-01"]
    assert rows[2][:2] == ["From", datetime(2026, 11, 1)]
    assert rows[3][:2] == ["To (inclusive)", datetime(2026, 11, 29)]
    assert rows[4][0] == "Generated at" and isinstance(rows[4][1], datetime)
    assert rows[4][2] == "Asia/Jakarta"
    header = rows[6]
    assert header[:5] == ["Donor", "Donor name", "Lot", "Kit type", "Expiry date"]
    at = {name: header.index(name) for name in header if name}
    table = []
    for row in rows[7:]:
        if row[at["Opening balance"]] is None:
            break
        table.append(row)
    assert len(table) == len(page) == 6
    for sheet_row, page_row in zip(table, page, strict=True):
        figures = [
            sheet_row[at[name]]
            for name in (
                "Opening balance",
                "Total in",
                "Total out",
                "Losses",
                "Adjustments",
                "Closing balance",
            )
        ]
        assert all(isinstance(v, int) for v in figures)
        assert figures == page_row[2:]
    assert [r[at["Lot"]] for r in table[:3]] == ["LOT-B", "LOT-A", "LOT-C"]
    assert table[0][at["Receipts"]] == 30 and table[0][at["Returns"]] == 1
    assert table[0][at["Dispatches"]] == 3 and table[1][at["Transfers out"]] == 20
    assert table[1][at["Expiry date"]] == datetime(2028, 1, 31)
    assert [r[at["Lot"]] for r in table[3:]] == ["Total for the donor"] * 2 + ["Total"]
    losses_at = next(i for i, r in enumerate(rows) if r[0] == "Losses by reason")
    assert rows[losses_at + 1][:4] == ["Donor", "Lot", "Reason", "Kits lost"]
    assert [r[:4] for r in rows[losses_at + 2 : losses_at + 4]] == [
        ["KOICA", "LOT-A", "Flooded shelf", 4],
        ["KOICA", "LOT-A", "Stolen", 2],
    ]
    assert sheet.freeze_panes == "A8"


def test_text_that_looks_like_a_formula_stays_text_in_the_xlsx(world, login, client):
    stock.adjust_stock(
        db.session,
        batch=world.c,
        warehouse=world.jkt,
        quantity=-1,
        kind="loss",
        reason='=HYPERLINK("http://evil.example","click")',
        user=None,
        now=START + timedelta(days=2),
    )
    world.receive("+LOT-X", 3, at=START + timedelta(days=2))
    world.receive("@LOT-Y", 3, at=START + timedelta(days=2))
    world.receive("-LOT-Z", 3, at=START + timedelta(days=2))
    db.session.commit()
    login("admin")
    sheet, rows = sheet_rows(client.get(XLSX).data)
    texts = [c.value for row in sheet.iter_rows() for c in row if c.data_type == "s"]
    formulas = [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    assert "'+LOT-X" in texts and "'@LOT-Y" in texts and "'-LOT-Z" in texts
    assert '\'=HYPERLINK("http://evil.example","click")' in texts
    assert not any(t.startswith(("=", "+", "-", "@")) for t in texts)


def test_the_damaged_at_receipt_reason_is_translated(make, login, client):
    make.warehouse("JKT-01")
    make.batch(received=10, damaged=2)  # received now, with its loss
    login("warehouse", language="id")
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date()
    response = client.get(f"/stock/report?warehouse=JKT-01&from={today}&to={today}")
    losses = page_rows(response, "stock-report-losses")
    assert len(losses) == 1 and losses[0][3] == 2
    assert losses[0][0] != "damaged at receipt"  # the system's reason, in Indonesian


def test_without_a_query_it_shows_the_first_warehouse_this_month_so_far(world, login, client):
    login("warehouse")
    response = client.get("/stock/report")
    assert response.status_code == 200
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Jakarta")).date()
    html = response.get_data(as_text=True)
    assert f'value="{today.replace(day=1).isoformat()}"' in html
    assert f'value="{today.isoformat()}"' in html
    assert '<option selected value="JKT-01">' in html
    assert "JKT-01 · Gudang JKT-01" in text_of(response)


def test_another_warehouse_is_chosen_by_its_code(world, login, client):
    login("warehouse")
    response = client.get("/stock/report?warehouse=SBY-01&from=2026-12-01&to=2026-12-31")
    assert page_rows(response)[:2] == [
        ["LOT-A", "KOICA", 20, 0, 0, 0, 0, 20],
        ["LOT-D", "KOICA", 5, 0, 0, 0, 0, 5],
    ]
    assert "No losses in this period." in text_of(response)


def test_an_empty_period_says_so(make, login, client):
    make.warehouse("MKS-01")
    login("warehouse")
    response = client.get("/stock/report?warehouse=MKS-01&from=2026-11-01&to=2026-11-29")
    assert response.status_code == 200
    assert "This warehouse held no stock and nothing moved in this period." in text_of(response)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("warehouse=JKT-01&from=2026-11-29&to=2026-11-01", "to", "The end date is before"),
        ("warehouse=JKT-01&from=29/11/2026&to=2026-11-30", "from", "Enter a date as year-month"),
        ("warehouse=JKT-01&from=2026-11-01&to=2026-13-01", "to", "Enter a date as year-month"),
        ("warehouse=NOPE&from=2026-11-01&to=2026-11-29", "warehouse", "Choose one from the list"),
        ("warehouse=JKT-01&from=1990-01-01&to=2026-11-29", "to", "at most ten years"),
    ],
)
def test_a_bad_period_is_shown_on_its_field(world, login, client, query, field, message):
    login("warehouse")
    response = client.get(f"/stock/report?{query}")
    assert response.status_code == 422
    assert message in field_errors(response, field)
    assert "correct the fields marked below" in text_of(response)
    assert 'id="stock-report"' not in response.get_data(as_text=True)
    assert client.get(f"/stock/report.xlsx?{query}").status_code == 422


def test_no_warehouse_yet(login, client):
    login("admin")
    response = client.get("/stock/report")
    assert response.status_code == 200
    assert "There is no warehouse yet" in text_of(response)
