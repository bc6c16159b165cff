"""The label pages: choose what to print for a round on a phone, download it; save a
printer's shift and print its test sheet."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import LabelPrinter
from kitlog.services import labels as label_service
from tests.documents.pdf import decode_pages, page_count, page_size_mm, page_texts
from tests.documents.rounds import labelled_round
from tests.web.conftest import field_errors, text_of


@pytest.fixture
def world_round(make):
    """26 households (20 in Sedayu, 6 in Turen); 3 packed, 1 cancelled."""
    return labelled_round(make, villages={"Sedayu": 20, "Turen": 6}, packed=3, cancelled=1)


def _labels_path(round_id: int, pdf: bool = False) -> str:
    return f"/rounds/{round_id}/labels" + (".pdf" if pdf else "")


def test_the_round_page_links_to_label_printing_for_the_warehouse(client, login, world_round):
    login("warehouse")
    page = client.get(f"/rounds/{world_round.round.id}")
    assert page.status_code == 200
    assert f'href="{_labels_path(world_round.round.id)}"' in page.get_data(as_text=True)


def test_the_round_page_shows_no_label_link_to_a_field_officer(client, login, world_round):
    login("field")
    page = client.get(f"/rounds/{world_round.round.id}")
    assert page.status_code == 200
    assert _labels_path(world_round.round.id) not in page.get_data(as_text=True)


def test_the_labels_page_counts_labels_and_sheets_for_each_choice(client, login, world_round):
    login("warehouse")
    path = _labels_path(world_round.round.id)
    page = client.get(path)
    assert page.status_code == 200
    assert "25 labels on 2 sheets" in text_of(page)  # 26 parcels, one cancelled; 24 a sheet
    assert '<option value="Turen">Turen</option>' in page.get_data(as_text=True)

    in_warehouse = client.get(path, query_string={"parcels": "warehouse", "village": "Turen"})
    expected = len(world_round.parcels_where(status={"allocated", "packed"}, village="Turen"))
    assert f"{expected} labels on 1 sheet" in text_of(in_warehouse)

    thermal = client.get(path, query_string={"output": "layout:thermal-50x30"})
    assert "25 labels one at a time" in text_of(thermal)


def test_downloading_prints_exactly_the_chosen_parcels(client, login, app, world_round):
    login("warehouse")
    response = client.get(
        _labels_path(world_round.round.id, pdf=True),
        query_string={"output": "layout:a4-3x7", "parcels": "warehouse", "village": "Sedayu"},
    )
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    name = "koica-hygiene-kits-malang-sedayu-a4-3x7"  # the round's and the village's names
    assert f'filename="kitlog-labels-round-{world_round.round.id}-{name}.pdf"' in disposition
    chosen = world_round.parcels_where(status={"allocated", "packed"}, village="Sedayu")
    decoded = [found.text for page in decode_pages(response.data) for found in page]
    assert sorted(decoded) == sorted(world_round.urls(app.config["BASE_URL"], chosen))
    assert page_count(response.data) == 1  # 19 labels, 21 a sheet


def test_a_saved_printer_prints_on_its_own_layout(client, login, world_round):
    printer = label_service.create_printer(
        db.session, name="Zebra", layout="thermal-50x30", offset_x_mm=1.0
    )
    db.session.commit()
    login("warehouse")
    path = _labels_path(world_round.round.id)
    assert "Printer Zebra" in text_of(client.get(path))
    response = client.get(
        _labels_path(world_round.round.id, pdf=True),
        query_string={"output": f"printer:{printer.id}", "village": "Turen"},
    )
    assert response.status_code == 200
    assert page_size_mm(response.data) == (50, 30)
    assert page_count(response.data) == 6


@pytest.mark.parametrize(
    ("query", "field_id"),
    [
        ({"output": "layout:a5"}, "output"),
        ({"output": "printer:999"}, "output"),
        ({"village": "Atlantis"}, "village"),
        ({"parcels": "lost"}, "parcels"),
    ],
)
def test_a_bad_choice_shows_the_form_again_with_the_reason(
    client, login, world_round, query, field_id
):
    login("warehouse")
    for pdf in (False, True):
        response = client.get(_labels_path(world_round.round.id, pdf=pdf), query_string=query)
        assert response.status_code == 422
        assert response.mimetype == "text/html"
        html = response.get_data(as_text=True)
        assert "Choose one from the list." in html
        if field_id != "parcels":
            assert field_errors(response, field_id) == "Choose one from the list."


def test_a_choice_with_nothing_to_print_says_so_instead_of_an_empty_pdf(client, make, login):
    every_one_cancelled = labelled_round(make, villages={"Turen": 1}, cancelled=1)
    login("warehouse")
    page = client.get(_labels_path(every_one_cancelled.round.id))
    assert page.status_code == 200
    assert "there are no labels to print" in text_of(page)
    assert "disabled" in page.get_data(as_text=True)  # the download button
    download = client.get(_labels_path(every_one_cancelled.round.id, pdf=True))
    assert download.status_code == 409
    assert download.mimetype == "text/html"
    assert "there are no labels to print" in text_of(download)


@pytest.mark.parametrize("role", ["field", "donor"])
def test_field_officers_and_donors_may_not_print_labels(client, login, world_round, role):
    login(role)
    assert client.get(_labels_path(world_round.round.id)).status_code == 403
    assert client.get(_labels_path(world_round.round.id, pdf=True)).status_code == 403
    assert client.get("/printers/").status_code == 403


def test_anonymous_visitors_are_sent_to_the_login(client, world_round):
    response = client.get(_labels_path(world_round.round.id))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_unknown_round_is_404(client, login):
    login("admin")
    assert client.get(_labels_path(12345)).status_code == 404


def test_a_printer_is_saved_with_its_shift_and_corrected_later(client, login, browser):
    login("warehouse")
    response = browser.submit(
        "/printers/new",
        {"name": "Office laser", "layout": "a4-3x7", "offset_x_mm": "1,5", "offset_y_mm": "-2"},
    )
    assert response.status_code == 302
    printer = db.session.scalars(select(LabelPrinter)).one()
    assert (printer.name, printer.layout, printer.offset_x_mm, printer.offset_y_mm) == (
        "Office laser",
        "a4-3x7",
        1.5,
        -2.0,
    )
    listing = text_of(client.get("/printers/"))
    assert "Office laser" in listing and "+1.5 mm" in listing and "-2.0 mm" in listing

    path = f"/printers/{printer.id}/edit"
    edit = client.get(path)
    assert 'value="Office laser"' in edit.get_data(as_text=True)
    response = browser.submit(
        path, {"name": "Office laser", "layout": "a4-3x7", "offset_x_mm": "0.5", "offset_y_mm": "0"}
    )
    assert response.status_code == 302
    db.session.refresh(printer)
    assert (printer.offset_x_mm, printer.offset_y_mm) == (0.5, 0.0)


@pytest.mark.parametrize(
    ("values", "field_id", "message"),
    [
        ({"offset_x_mm": "25"}, "offset_x_mm", "Number must be between -20 and 20."),
        ({"offset_y_mm": "abc"}, "offset_y_mm", "Not a valid decimal value."),
        ({"layout": "a5"}, "layout", "Choose one from the list."),
        ({"name": ""}, "name", "This field is required."),
    ],
)
def test_a_printer_with_a_bad_value_is_not_saved(client, login, browser, values, field_id, message):
    login("warehouse")
    body = {"name": "Laser", "layout": "a4-3x8", "offset_x_mm": "0", "offset_y_mm": "0"}
    response = browser.submit("/printers/new", {**body, **values})
    assert response.status_code == 422
    assert message in field_errors(response, field_id)
    assert db.session.scalars(select(LabelPrinter)).all() == []


def test_two_printers_may_not_share_a_name(client, login, browser):
    label_service.create_printer(db.session, name="Zebra", layout="thermal-50x30")
    db.session.commit()
    login("warehouse")
    body = {"name": "zebra", "layout": "a4-3x8", "offset_x_mm": "0", "offset_y_mm": "0"}
    response = browser.submit("/printers/new", body)
    assert response.status_code == 422
    assert "already called" in field_errors(response, "name")


def test_a_test_sheet_is_shifted_as_the_printer_is_and_says_so(client, login):
    printer = label_service.create_printer(
        db.session, name="Laser", layout="a4-3x8", offset_x_mm=1.5, offset_y_mm=-0.5
    )
    db.session.commit()
    login("warehouse")
    response = client.get(f"/printers/{printer.id}/test.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = page_texts(response.data)[0]
    assert "Laser" in text and "a4-3x8" in text and "+1.5" in text and "-0.5" in text
    bare = client.get("/printers/layouts/thermal-50x30/test.pdf")
    assert bare.status_code == 200 and page_size_mm(bare.data) == (50, 30)
    assert client.get("/printers/layouts/a5/test.pdf").status_code == 404
