"""Messages reach users in their language, with numbers formatted for it."""

from __future__ import annotations

import re

from kitlog.extensions import db


def _csrf(client, path):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_an_out_of_stock_message_formats_numbers_for_the_language(api, make):
    jakarta = make.warehouse("JKT-01")
    make.warehouse("SBY-01")
    batch = make.batch(received=4990, warehouse=jakarta, lot="LOT-A")
    body = {"batch": batch.id, "from_warehouse": "JKT-01", "to_warehouse": "SBY-01"}
    body["quantity"] = 5000
    indonesian = api("warehouse", language="id").post("/api/v1/transfers", json=body)
    english = api("warehouse", language="en").post("/api/v1/transfers", json=body)
    assert indonesian.status_code == english.status_code == 409
    assert "5.000" in indonesian.get_json()["detail"]
    assert "4.990" in indonesian.get_json()["detail"]
    assert "5,000 kits needed, 4,990 available" in english.get_json()["detail"]
    assert indonesian.get_json()["available"] == 4990  # the machine-readable field stays a number


def test_a_too_long_form_value_gets_a_translated_message_not_a_500(client, auth):
    user = auth.login("admin", language="id")
    response = client.post(
        "/profile/tokens", data={"name": "x" * 300, "csrf_token": _csrf(client, "/profile")}
    )
    assert response.status_code in (200, 422)
    text = response.get_data(as_text=True)
    assert "Field cannot be longer than" not in text  # WTForms' English is not shown
    assert re.search(r"Maksimal 80 karakter", text), text[:3000]
    assert not user.tokens
    db.session.rollback()


def test_a_decimal_in_a_form_uses_the_readers_decimal_mark_and_reads_back(client, auth, make):
    from kitlog.models import KitType

    make.kit_type("HK-FAM")  # 6.5 kg
    auth.login("admin", language="id")
    html = client.get("/kit-types/HK-FAM/edit").get_data(as_text=True)
    assert re.search(r'name="weight_kg"[^>]*value="6,5"', html)
    form = {
        "name": "Family hygiene kit",
        "weight_kg": "6,5",
        "volume_m3": "0,045",
        "contents-0-item": "Mask",
        "contents-0-quantity": "10",
        "contents-0-unit": "pcs",
        "csrf_token": _csrf(client, "/kit-types/HK-FAM/edit"),
    }
    assert client.post("/kit-types/HK-FAM/edit", data=form).status_code == 302
    kit = db.session.query(KitType).filter_by(code="HK-FAM").one()
    assert (float(kit.weight_kg), float(kit.volume_m3)) == (6.5, 0.045)
