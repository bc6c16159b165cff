"""A delivery's signature or photo on the parcel's pages: administrators and field officers
see it; warehouse staff and donors never do (it shows who took the parcel)."""

from __future__ import annotations

import pytest

from tests import images
from tests.worlds import DoorWorld


@pytest.fixture
def world(make) -> DoorWorld:
    world = DoorWorld(make)
    parcel = world.parcels[0]
    world.dispatch([parcel])
    officer = make.user("field")
    assert world.scan(parcel, "deliver", user=officer, proof=images.signature()).outcome == "ok"
    return world


def pages(parcel) -> list[str]:
    return [f"/p/{parcel.token}", f"/rounds/{parcel.round_id}/parcels/{parcel.id}"]


@pytest.mark.parametrize("role", ["admin", "field"])
def test_admins_and_field_officers_see_the_proof_on_the_parcel_s_pages(client, login, world, role):
    parcel = world.parcels[0]
    login(role)
    for page in pages(parcel):
        html = client.get(page).get_data(as_text=True)
        assert "Proof of delivery" in html, page
        assert f'src="/p/{parcel.token}/proof"' in html
        assert 'alt="Signature of the recipient"' in html
    image = client.get(f"/p/{parcel.token}/proof")
    assert image.status_code == 200
    assert (image.mimetype, image.data) == ("image/png", images.png())


def test_warehouse_staff_see_the_parcel_but_never_its_proof(client, login, world):
    parcel = world.parcels[0]
    login("warehouse")
    for page in pages(parcel):
        response = client.get(page)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "Proof of delivery" not in html and "/proof" not in html
    assert client.get(f"/p/{parcel.token}/proof").status_code == 403


def test_a_donor_gets_neither_the_page_nor_the_proof(client, login, world):
    parcel = world.parcels[0]
    login("donor", donor=world.batch.donor)
    assert client.get(f"/p/{parcel.token}").status_code == 403
    assert client.get(f"/p/{parcel.token}/proof").status_code == 403


def test_a_parcel_delivered_without_a_proof_shows_none(client, login, world):
    parcel = world.parcels[1]
    world.dispatch([parcel])
    world.scan(parcel, "deliver", user=world.make.user("field"))
    login("admin")
    assert "Proof of delivery" not in client.get(f"/p/{parcel.token}").get_data(as_text=True)
    assert client.get(f"/p/{parcel.token}/proof").status_code == 404


def test_the_round_form_asks_which_proof_a_delivery_needs(client, login, world):
    login("admin")
    html = client.get(f"/rounds/{world.round.id}/edit").get_data(as_text=True)
    assert 'name="proof"' in html
    for value in ("none", "signature", "photo"):
        assert f'value="{value}"' in html


def test_the_round_form_saves_the_proof_and_the_round_page_says_it(browser, login, world):
    from kitlog.extensions import db

    login("admin")
    path = f"/rounds/{world.round.id}/edit"
    wrong = browser.submit(path, {"name": "Round 1", "proof": "fingerprint"})
    assert wrong.status_code == 422
    db.session.expire_all()
    assert world.round.proof == "none"
    saved = browser.submit(path, {"name": "Round 1", "proof": "photo"})
    assert saved.status_code == 302
    db.session.expire_all()
    assert world.round.proof == "photo"
    html = browser.get(f"/rounds/{world.round.id}").get_data(as_text=True)
    assert "<dt>Proof of delivery</dt><dd>A photo of the handover</dd>" in html
