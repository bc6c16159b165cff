"""GET /api/v1/rounds/{id}/labels.pdf: a round's labels, or a chosen subset, that decode
to their parcels' URLs and carry no personal data beyond what the round allows."""

from __future__ import annotations

import pytest

from kitlog.extensions import db
from kitlog.services import labels as label_service
from tests.api.helpers import assert_problem
from tests.documents.pdf import decode_pages, page_count, page_size_mm, page_texts
from tests.documents.rounds import labelled_round


@pytest.fixture
def world_round(make):
    """30 households (20 in Sedayu, 10 in Turen); 4 parcels packed, 2 cancelled."""
    return labelled_round(make, villages={"Sedayu": 20, "Turen": 10}, packed=4, cancelled=2)


def _url(round_id: int, **query) -> str:
    path = f"/api/v1/rounds/{round_id}/labels.pdf"
    if query:
        path += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return path


def _decoded(pdf: bytes) -> list[str]:
    return [found.text for page in decode_pages(pdf) for found in page]


def test_a_round_prints_one_label_per_parcel_that_is_not_cancelled(api, app, world_round):
    response = api("warehouse").get(_url(world_round.round.id))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    # the round by its number and its name, so that saved sheets say whose they are
    name = f"kitlog-labels-round-{world_round.round.id}-koica-hygiene-kits-malang-a4-3x8.pdf"
    assert f'filename="{name}"' in disposition
    live = [p for p in world_round.parcels if p.status != "cancelled"]
    decoded = _decoded(response.data)
    assert len(decoded) == len(live) == 28
    assert set(decoded) == world_round.urls(app.config["BASE_URL"], live)
    assert page_count(response.data) == 2  # 24 a sheet
    assert response.headers["X-Label-Count"] == "28"


@pytest.mark.parametrize(
    ("layout", "size", "pages"),
    [("a4-3x7", (210, 297), 2), ("thermal-50x30", (50, 30), 28)],
)
def test_a_layout_is_chosen_by_name(api, app, world_round, layout, size, pages):
    response = api("warehouse").get(_url(world_round.round.id, layout=layout))
    assert response.status_code == 200
    assert page_size_mm(response.data) == size
    assert page_count(response.data) == pages
    assert layout in response.headers["Content-Disposition"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("allocated", {"allocated"}),
        ("packed", {"packed"}),
        ("allocated,packed", {"allocated", "packed"}),
        (" Packed , allocated ", {"allocated", "packed"}),
    ],
)
def test_a_status_subset_prints_exactly_those_parcels(api, app, world_round, status, expected):
    response = api("warehouse").get(_url(world_round.round.id, status=status))
    assert response.status_code == 200
    chosen = world_round.parcels_where(status=expected)
    assert set(_decoded(response.data)) == world_round.urls(app.config["BASE_URL"], chosen)
    assert len(_decoded(response.data)) == len(chosen)


def test_a_village_subset_prints_exactly_its_parcels(api, app, world_round):
    response = api("warehouse").get(_url(world_round.round.id, village="Turen", status="allocated"))
    assert response.status_code == 200
    chosen = world_round.parcels_where(status={"allocated"}, village="Turen")
    assert chosen and set(_decoded(response.data)) == world_round.urls(
        app.config["BASE_URL"], chosen
    )
    assert "Sedayu" not in page_texts(response.data)[0]


def test_labels_carry_codes_village_round_and_donor_but_no_nik_phone_or_name(api, world_round):
    response = api("warehouse").get(_url(world_round.round.id, village="Turen"))
    text = "\n".join(page_texts(response.data))
    for parcel in world_round.parcels_where(status={"allocated", "packed"}, village="Turen"):
        household = parcel.household
        code = parcel.short_code
        assert f"{code[:3]}-{code[3:6]}-{code[6:]}" in text
        assert household.code in text
        assert household.nik not in text and household.phone not in text
        assert household.head_name not in text
        assert household.worker_name not in text
    assert "Turen" in text
    assert "KOICA hygiene kits, Malang" in text
    assert "KOICA" in text.replace("KOICA hygiene", "")
    assert "1 kit" in text


def test_the_head_of_household_is_named_only_when_the_round_shows_it(api, make):
    shown = labelled_round(make, villages={"Sedayu": 3}, show_head_name=True, name="Shown")
    response = api("warehouse").get(_url(shown.round.id))
    text = "\n".join(page_texts(response.data))
    for household in shown.households:
        assert household.head_name in text
        assert household.nik not in text and household.phone not in text


def test_a_saved_printer_brings_its_layout_and_moves_the_labels(api, world_round):
    printer = label_service.create_printer(
        db.session, name="Zebra gudang", layout="a4-3x8", offset_x_mm=3.0, offset_y_mm=2.0
    )
    thermal = label_service.create_printer(db.session, name="Thermal", layout="thermal-50x30")
    db.session.commit()
    client = api("warehouse")
    plain = decode_pages(client.get(_url(world_round.round.id)).data)[0]
    moved = decode_pages(client.get(_url(world_round.round.id, printer=printer.id)).data)[0]
    before = {found.text: found for found in plain}
    px_per_mm = 200 / 25.4
    assert {found.text for found in moved} == set(before)
    for found in moved:
        assert found.x - before[found.text].x == pytest.approx(3.0 * px_per_mm, abs=1.5)
        assert found.y - before[found.text].y == pytest.approx(2.0 * px_per_mm, abs=1.5)

    response = client.get(_url(world_round.round.id, printer=thermal.id))
    assert response.status_code == 200 and page_size_mm(response.data) == (50, 30)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"layout": "a5-2x2"}, "layout"),
        ({"status": "allocated,lost"}, "status"),
        ({"status": "cancelled"}, "status"),
        ({"printer": "999"}, "printer"),
        ({"printer": "abc"}, "printer"),
    ],
)
def test_an_unknown_layout_status_or_printer_is_422_naming_it(api, world_round, query, field):
    response = api("warehouse").get(_url(world_round.round.id, **query))
    assert_problem(response, 422, field=field)


def test_a_layout_other_than_the_printers_own_is_422(api, world_round):
    printer = label_service.create_printer(db.session, name="Laser", layout="a4-3x7")
    db.session.commit()
    response = api("warehouse").get(_url(world_round.round.id, printer=printer.id, layout="a4-3x8"))
    body = assert_problem(response, 422, field="layout")
    assert "a4-3x7" in body["detail"]


def test_an_unknown_round_is_404(api, world_round):
    assert_problem(api("warehouse").get(_url(world_round.round.id + 100)), 404)


def test_a_choice_that_matches_no_parcel_is_409_not_an_empty_pdf(api, world_round):
    response = api("warehouse").get(_url(world_round.round.id, village="Nowhere"))
    body = assert_problem(response, 409)
    assert "no labels to print" in body["detail"]
    indonesian = api("warehouse", language="id").get(_url(world_round.round.id, status="returned"))
    assert_problem(indonesian, 409)


@pytest.mark.parametrize(("role", "status"), [("admin", 200), ("field", 403), ("donor", 403)])
def test_the_warehouse_and_the_admin_print_labels_no_one_else(api, world_round, role, status):
    response = api(role).get(_url(world_round.round.id))
    assert response.status_code == status
    assert api(None).get(_url(world_round.round.id)).status_code == 401


def test_the_endpoint_is_documented_as_a_pdf(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/rounds/{round_id}/labels.pdf"]["get"]
    assert "application/pdf" in operation["responses"]["200"]["content"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"layout", "status", "village", "printer"} <= names
    assert {"401", "403", "404", "409", "422"} <= set(operation["responses"])
