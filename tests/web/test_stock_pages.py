"""Receiving, transfers, losses and adjustments through the pages."""

from __future__ import annotations

from kitlog.extensions import db
from kitlog.models import DonorBatch, StockMovement
from kitlog.services import stock
from tests.web.conftest import field_errors, text_of


def _movements() -> list[tuple[str, int, str]]:
    db.session.expire_all()
    return [
        (m.kind, m.quantity, m.warehouse.code)
        for m in db.session.query(StockMovement).order_by(StockMovement.id)
    ]


def _on_hand(batch, warehouse) -> int:
    db.session.expire_all()
    return stock.stock_level(db.session, batch_id=batch.id, warehouse_id=warehouse.id).on_hand


def test_receiving_with_damage_shows_on_hand_as_received_minus_damaged(browser, login, make):
    donor, kit, warehouse = make.donor("KOICA"), make.kit_type(), make.warehouse("JKT-01")
    user = login("warehouse")
    form = browser.get("/stock/receive")
    assert "Damaged kits are recorded as a loss at once." in text_of(form)
    assert 'inputmode="numeric"' in form.get_data(as_text=True)

    response = browser.submit(
        "/stock/receive",
        {
            "donor": donor.id,
            "kit_type": kit.id,
            "warehouse": warehouse.id,
            "reference": "IOM-BP2MI/KOICA/2020-11",
            "lot": "KOICA-HK-2020-001",
            "expiry_date": "2023-11-30",
            "quantity_pledged": "500",
            "quantity_received": "490",
            "quantity_damaged": "12",
            "received_date": "2020-12-07",
        },
    )
    assert response.status_code == 302
    batch = db.session.query(DonorBatch).one()
    assert batch.created_by_id == user.id
    assert _movements() == [("receipt", 490, "JKT-01"), ("loss", -12, "JKT-01")]

    page = text_of(browser.get(response.headers["Location"]))
    assert "Lot KOICA-HK-2020-001 is received: 478 kits on hand; 12 damaged kits are" in page
    assert "On hand 478" in page
    assert "12 kits, recorded as a loss" in page


def test_receiving_more_damaged_than_received_is_refused_on_the_damaged_field(browser, login, make):
    donor, kit, warehouse = make.donor("KOICA"), make.kit_type(), make.warehouse("JKT-01")
    login("admin")
    response = browser.submit(
        "/stock/receive",
        {
            "donor": donor.id,
            "kit_type": kit.id,
            "warehouse": warehouse.id,
            "reference": "AGR",
            "lot": "L1",
            "quantity_pledged": "10",
            "quantity_received": "10",
            "quantity_damaged": "11",
            "received_date": "2020-12-07",
        },
    )
    assert response.status_code == 422
    assert "Damaged kits cannot be more than the kits received." in field_errors(
        response, "quantity_damaged"
    )
    assert db.session.query(DonorBatch).count() == 0
    assert _movements() == []


def test_a_transfer_moves_kits_between_warehouses(browser, login, make):
    jakarta, surabaya = make.warehouse("JKT-01"), make.warehouse("SBY-01")
    batch = make.batch(received=100, warehouse=jakarta)
    login("warehouse")
    response = browser.submit(
        "/stock/transfer",
        {
            "batch": batch.id,
            "from_warehouse": jakarta.id,
            "to_warehouse": surabaya.id,
            "quantity": "30",
            "note": "East Java allocation",
        },
    )
    assert response.status_code == 302
    assert _on_hand(batch, jakarta) == 70
    assert _on_hand(batch, surabaya) == 30
    page = text_of(browser.get(response.headers["Location"]))
    assert "30 kits of lot" in page and "moved from JKT-01 to SBY-01." in page


def test_a_transfer_beyond_the_available_stock_shows_out_of_stock_and_writes_no_movement(
    browser, login, make
):
    jakarta, surabaya = make.warehouse("JKT-01"), make.warehouse("SBY-01")
    batch = make.batch(received=100, damaged=10, warehouse=jakarta, lot="LOT-A")
    login("warehouse")
    before = _movements()
    response = browser.submit(
        "/stock/transfer",
        {
            "batch": batch.id,
            "from_warehouse": jakarta.id,
            "to_warehouse": surabaya.id,
            "quantity": "91",
        },
    )
    assert response.status_code == 422
    assert "Not enough stock of lot LOT-A in JKT-01: 91 kits needed, 90 available." in field_errors(
        response, "quantity"
    )
    assert 'value="91"' in response.get_data(as_text=True)  # the form keeps what was typed
    assert _movements() == before
    assert _on_hand(batch, jakarta) == 90


def test_a_transfer_to_the_same_warehouse_is_refused_on_the_destination(browser, login, make):
    jakarta = make.warehouse("JKT-01")
    batch = make.batch(received=10, warehouse=jakarta)
    login("admin")
    response = browser.submit(
        "/stock/transfer",
        {
            "batch": batch.id,
            "from_warehouse": jakarta.id,
            "to_warehouse": jakarta.id,
            "quantity": "1",
        },
    )
    assert response.status_code == 422
    assert "Choose two different warehouses." in field_errors(response, "to_warehouse")
    assert len(_movements()) == 1


def test_an_adjustment_without_a_reason_is_refused(browser, login, make):
    jakarta = make.warehouse("JKT-01")
    batch = make.batch(received=50, warehouse=jakarta)
    login("warehouse")
    response = browser.submit(
        "/stock/adjust",
        {
            "batch": batch.id,
            "warehouse": jakarta.id,
            "kind": "adjustment",
            "quantity": "-2",
            "reason": "   ",
        },
    )
    assert response.status_code == 422
    assert "Give a reason." in field_errors(response, "reason")
    assert _movements() == [("receipt", 50, "JKT-01")]


def test_a_loss_is_typed_as_kits_lost_and_recorded_as_a_negative_movement(browser, login, make):
    jakarta = make.warehouse("JKT-01")
    batch = make.batch(received=50, warehouse=jakarta)
    login("warehouse")
    response = browser.submit(
        "/stock/adjust",
        {
            "batch": batch.id,
            "warehouse": jakarta.id,
            "kind": "loss",
            "quantity": "5",
            "reason": "Flooded storeroom",
        },
    )
    assert response.status_code == 302
    assert _movements()[-1] == ("loss", -5, "JKT-01")
    assert _on_hand(batch, jakarta) == 45
    assert "A loss of 5 kits of lot" in text_of(browser.get(response.headers["Location"]))


def test_a_negative_number_for_a_loss_is_refused_rather_than_guessed(browser, login, make):
    jakarta = make.warehouse("JKT-01")
    batch = make.batch(received=50, warehouse=jakarta)
    login("warehouse")
    response = browser.submit(
        "/stock/adjust",
        {
            "batch": batch.id,
            "warehouse": jakarta.id,
            "kind": "loss",
            "quantity": "-5",
            "reason": "x",
        },
    )
    assert response.status_code == 422
    assert "Enter the number of kits lost, as a positive number." in field_errors(
        response, "quantity"
    )
    assert len(_movements()) == 1


def test_an_adjustment_is_signed_and_cannot_take_more_than_is_there(browser, login, make):
    jakarta = make.warehouse("JKT-01")
    batch = make.batch(received=20, warehouse=jakarta, lot="LOT-B")
    login("admin")
    up = browser.submit(
        "/stock/adjust",
        {
            "batch": batch.id,
            "warehouse": jakarta.id,
            "kind": "adjustment",
            "quantity": "3",
            "reason": "Recount found 3 more",
        },
    )
    assert up.status_code == 302
    assert _on_hand(batch, jakarta) == 23

    down = browser.submit(
        "/stock/adjust",
        {
            "batch": batch.id,
            "warehouse": jakarta.id,
            "kind": "adjustment",
            "quantity": "-24",
            "reason": "Recount",
        },
    )
    assert down.status_code == 422
    assert "Not enough stock of lot LOT-B in JKT-01" in field_errors(down, "quantity")
    assert _on_hand(batch, jakarta) == 23


def test_a_batch_page_shows_its_figures_stock_per_warehouse_and_movements(browser, login, make):
    jakarta, surabaya = make.warehouse("JKT-01"), make.warehouse("SBY-01")
    batch = make.batch(received=100, damaged=4, warehouse=jakarta, lot="LOT-C")
    stock.transfer_stock(
        db.session,
        batch=batch,
        from_warehouse=jakarta,
        to_warehouse=surabaya,
        quantity=40,
        user=None,
    )
    db.session.commit()
    login("warehouse")
    page = text_of(browser.get(f"/stock/batches/{batch.id}"))
    assert "Lot LOT-C" in page
    assert "Received 100" in page and "Lost 4" in page and "On hand 96" in page
    assert "JKT-01" in page and "56 on hand, 56 available" in page
    assert "SBY-01" in page and "40 on hand, 40 available" in page
    assert "Transfer out" in page and "Transfer in" in page and "Damaged at receipt" in page
    assert browser.get("/stock/batches/999999").status_code == 404


def test_the_transfer_form_is_prefilled_from_the_batch_page_link(browser, login, make):
    jakarta = make.warehouse("JKT-01")
    batch = make.batch(received=10, warehouse=jakarta)
    login("warehouse")
    html = browser.get(f"/stock/transfer?batch={batch.id}&warehouse={jakarta.id}").get_data(
        as_text=True
    )
    assert f'<option selected value="{batch.id}">' in html


def test_the_receive_form_says_what_is_missing_before_a_batch_can_be_received(client, login):
    login("admin")
    page = text_of(client.get("/stock/receive"))
    assert "at least one donor, one kit type and one warehouse must exist" in page
