"""Correcting donors, kit types and warehouses: same checks as creating, and the code stays."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import KitItem
from kitlog.services import reference
from kitlog.services.errors import InvalidValue
from kitlog.services.reference import ContentLine


def _lines(kit_type) -> list[tuple[int, int, str, str]]:
    db.session.expire_all()
    return [(c.position, c.quantity, c.unit, c.item) for c in kit_type.contents]


def test_a_donor_is_corrected_and_keeps_its_code(make):
    donor = make.donor("KOICA")
    reference.update_donor(db.session, donor, name="  Korea Intl Cooperation  ", country="")
    db.session.commit()
    db.session.expire_all()
    assert (donor.code, donor.name, donor.country) == ("KOICA", "Korea Intl Cooperation", "")


def test_a_warehouse_is_corrected_and_keeps_its_code(make):
    warehouse = make.warehouse("JKT-01")
    reference.update_warehouse(
        db.session,
        warehouse,
        name="Gudang Cakung",
        province="DKI Jakarta",
        regency="Jakarta Timur",
        address="Jl. Raya Bekasi KM 21",
    )
    db.session.commit()
    db.session.expire_all()
    assert warehouse.code == "JKT-01"
    assert (warehouse.name, warehouse.regency, warehouse.address) == (
        "Gudang Cakung",
        "Kota Administrasi Jakarta Timur",  # the official name of the place named
        "Jl. Raya Bekasi KM 21",
    )
    assert warehouse.regency_code == "31.75"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "   "}, "name"),
        ({"province": "Atlantis"}, "province"),
        ({"regency": "x" * 101}, "regency"),
        ({"address": "x" * 501}, "address"),
    ],
)
def test_a_refused_warehouse_correction_names_the_field_and_changes_nothing(make, changes, field):
    warehouse = make.warehouse("JKT-01", name="Gudang Jakarta")
    values = {"name": "New name", "province": "Banten", "regency": "Kota Tangerang", "address": ""}
    with pytest.raises(InvalidValue) as error:
        reference.update_warehouse(db.session, warehouse, **{**values, **changes})
    assert error.value.field == field
    # every value is checked before any is set: not even the valid ones changed
    assert (warehouse.name, warehouse.province_code) == ("Gudang Jakarta", "31")


def test_a_donor_needs_a_name(make):
    donor = make.donor("KOICA", name="KOICA")
    with pytest.raises(InvalidValue) as error:
        reference.update_donor(db.session, donor, name="", country="Korea")
    assert error.value.field == "name"
    assert donor.name == "KOICA"


def test_a_kit_types_contents_are_replaced_in_the_order_given(make):
    kit = make.kit_type("HK-FAM")
    reference.update_kit_type(
        db.session,
        kit,
        name="Family hygiene kit (Covid-19)",
        weight_kg="7.0",
        volume_m3=Decimal("0.05"),
        contents=[
            ContentLine("Bar soap", 5, "bars"),
            ContentLine("Cloth face mask", 12, "pcs"),
            ContentLine("Hand sanitizer 500 ml", 1, "bottle"),
        ],
    )
    db.session.commit()
    assert _lines(kit) == [
        (1, 5, "bars", "Bar soap"),
        (2, 12, "pcs", "Cloth face mask"),
        (3, 1, "bottle", "Hand sanitizer 500 ml"),
    ]
    assert (kit.code, kit.weight_kg, kit.volume_m3) == (
        "HK-FAM",
        Decimal("7.000"),
        Decimal("0.0500"),
    )
    assert db.session.scalar(select(func.count()).select_from(KitItem)) == 3


def test_a_kit_type_can_lose_lines_too(make):
    kit = make.kit_type("HK-FAM")
    reference.update_kit_type(
        db.session,
        kit,
        name=kit.name,
        weight_kg=kit.weight_kg,
        volume_m3=kit.volume_m3,
        contents=[ContentLine("Soap", 4, "bars")],
    )
    db.session.commit()
    assert _lines(kit) == [(1, 4, "bars", "Soap")]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"weight_kg": "-1"}, "weight_kg"),
        ({"volume_m3": "lots"}, "volume_m3"),
        ({"contents": []}, "contents"),
        (
            {"contents": [ContentLine("Soap", 4, "bars"), ContentLine("Mask", 0, "pcs")]},
            "contents.1.quantity",
        ),
        ({"contents": [ContentLine("Soap", 2.5, "bars")]}, "contents.0.quantity"),
        ({"contents": [ContentLine("Soap", 4, " ")]}, "contents.0.unit"),
    ],
)
def test_a_refused_kit_type_correction_names_the_field_and_changes_nothing(make, changes, field):
    kit = make.kit_type("HK-FAM")
    values = {
        "name": "Renamed",
        "weight_kg": "1",
        "volume_m3": "0.01",
        "contents": [ContentLine("Bucket", 1, "pcs")],
    }
    with pytest.raises(InvalidValue) as error:
        reference.update_kit_type(db.session, kit, **{**values, **changes})
    assert error.value.field == field
    db.session.rollback()
    assert kit.name == "Family hygiene kit"
    assert kit.weight_kg == Decimal("6.500")
    assert _lines(kit) == [(1, 10, "pcs", "Mask"), (2, 4, "bars", "Soap")]


def test_creating_a_kit_type_still_checks_its_contents(app):
    with pytest.raises(InvalidValue) as error:
        reference.create_kit_type(
            db.session,
            code="HK-X",
            name="Kit",
            weight_kg="1",
            volume_m3="0.01",
            contents=[ContentLine("Soap", 4, "bars"), ContentLine("", 1, "pcs")],
        )
    assert error.value.field == "contents.1.item"
