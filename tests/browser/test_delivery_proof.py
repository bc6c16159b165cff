"""Proof of delivery on a 390 × 844 phone, in Indonesian: the round asks for a signature;
the officer cannot hand over without one, draws it with a finger (mouse moves here) and
hands over; then, with no signal, a parcel of the saved trip is signed and handed over,
and once the signal is back its proof reaches the server exactly once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import DeliveryProof
from kitlog.services import distribution as dist
from kitlog.services.parcel_codes import format_short_code
from kitlog.services.proofs import content_type_of
from tests import images
from tests.browser.helpers import (
    DELIVER_CACHED_JS,
    assert_no_sideways_scroll,
    log_in,
    status_of,
    translated,
)
from tests.worlds import DoorWorld

pytestmark = pytest.mark.browser


def proofs() -> list[tuple[int, str, str]]:
    db.session.commit()  # a new transaction sees what the server committed
    return [
        (p.parcel_id, p.kind, content_type_of(p.content))
        for p in db.session.scalars(select(DeliveryProof).order_by(DeliveryProof.id))
    ]


def sign(page) -> None:
    """A signature: a few strokes of the mouse across the pad."""
    pad = page.locator("[data-signature-pad]")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] >= 150
    x, y = box["x"], box["y"]
    page.mouse.move(x + 20, y + 100)
    page.mouse.down()
    for step in range(1, 25):
        page.mouse.move(x + 20 + step * 10, y + 100 - (step % 6) * 12, steps=2)
    page.mouse.up()
    expect(pad).to_have_attribute("data-signed", "")


def test_a_signed_handover_online_and_offline_reaches_the_server_once(phone_page, make):
    world = DoorWorld(make)
    dist.update_round(db.session, world.round, proof="signature", user=None)
    db.session.commit()
    first, second = world.parcels[0], world.parcels[1]
    manifest = world.dispatch([first, second])
    officer = make.user("field")
    page = phone_page
    log_in(page, officer.email)
    page.goto("/deliver/")
    page.wait_for_function(DELIVER_CACHED_JS, polling=100)
    trip = page.locator(f"[data-trip='{manifest.id}']")
    trip.locator("[data-save-trip]").click()
    expect(trip.locator("[data-trip-status]")).to_contain_text("2")

    # Online: the round's requirement is said, and a hand-over without it is not queued.
    lookup = page.locator("form[data-lookup]")
    lookup.locator("input[name=code]").fill(format_short_code(first.short_code))
    with page.expect_navigation():
        lookup.locator("button[type=submit]").click()
    form = page.locator("form[data-door-form=deliver]")
    proof = form.locator("[data-proof]")
    expect(proof).to_be_visible()
    need = translated("This round needs the recipient's signature: ask them to sign with a finger.")
    expect(proof.locator("[data-proof-hint]")).to_have_text(need)
    expect(proof.locator("[data-proof-choices]")).to_be_hidden()
    form.locator("label.door-recipient-choice").last.click()  # someone else
    form.locator("input[name=deliver-recipient_name]").fill("Siti Rahayu")
    form.locator("select[name=deliver-recipient_relation]").select_option("sibling")
    form.locator("button[type=submit]").click()
    expect(proof.locator("[data-proof-note]")).to_have_text(need)
    count = page.locator("[data-outbox-count]")
    expect(count).to_have_attribute("data-count", "0")
    assert_no_sideways_scroll(page)

    sign(page)
    form.locator("button[type=submit]").click()
    result = page.locator("[data-result-list] li")
    expect(result.first).to_have_attribute("data-state", "ok")
    assert status_of(first.id) == "delivered"
    assert proofs() == [(first.id, "signature", "image/png")]

    # No signal: the second parcel, found in the saved trip, needs its signature too.
    page.context.set_offline(True)
    lookup.locator("input[name=code]").fill(format_short_code(second.short_code))
    lookup.locator("button[type=submit]").click()
    panel = page.locator("[data-parcel]")
    expect(panel.locator("[data-field=source]")).to_contain_text(manifest.number)
    expect(proof.locator("[data-proof-hint]")).to_have_text(need)
    expect(page.locator("[data-signature-pad]")).not_to_have_attribute("data-signed", "")
    form.locator("label.door-recipient-choice").last.click()  # someone else
    form.locator("input[name=deliver-recipient_name]").fill("Budi Santoso")
    form.locator("select[name=deliver-recipient_relation]").select_option("sibling")
    sign(page)
    form.locator("button[type=submit]").click()
    expect(count).to_have_attribute("data-count", "1")
    expect(panel.locator("[data-outcome]")).to_have_attribute("data-state", "waiting")
    assert status_of(second.id) == "dispatched"
    assert len(proofs()) == 1

    page.context.set_offline(False)  # the `online` event sends it, with its proof
    expect(count).to_have_attribute("data-count", "0")
    expect(result.first).to_have_attribute("data-state", "ok")
    assert status_of(second.id) == "delivered"
    page.evaluate("() => window.kitlogOutbox.sync()")  # a resend changes nothing
    assert proofs() == [(first.id, "signature", "image/png"), (second.id, "signature", "image/png")]

    # The parcel's page shows the officer the signature.
    page.goto(f"/p/{second.token}")
    image = page.locator(".delivery-proof img")
    expect(image).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('.delivery-proof img');"
        " return i.complete && i.naturalWidth > 0; }",
        polling=100,
    )


def test_a_camera_photo_is_shrunk_on_the_phone_to_300_kb_and_kept(phone_page, make, tmp_path):
    world = DoorWorld(make)
    dist.update_round(db.session, world.round, proof="photo", user=None)
    db.session.commit()
    parcel = world.parcels[0]
    world.dispatch([parcel])
    officer = make.user("field")
    page = phone_page
    log_in(page, officer.email)
    page.goto(f"/deliver/?code={format_short_code(parcel.short_code)}")
    form = page.locator("form[data-door-form=deliver]")
    proof = form.locator("[data-proof]")
    expect(proof.locator("[data-proof-hint]")).to_have_text(
        translated("This round needs a photo of the handover.")
    )
    expect(proof.locator("[data-signature-pad]")).to_be_hidden()
    photo = tmp_path / "handover.jpg"
    photo.write_bytes(images.camera_photo())
    assert photo.stat().st_size > 1024 * 1024
    form.locator("[data-proof-photo-input]").set_input_files(str(photo))
    expect(proof.locator("[data-proof-preview]")).to_be_visible(timeout=15000)
    form.locator("label.door-recipient-choice").last.click()  # someone else
    form.locator("input[name=deliver-recipient_name]").fill("Siti Rahayu")
    form.locator("select[name=deliver-recipient_relation]").select_option("sibling")
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-result-list] li").first).to_have_attribute("data-state", "ok")
    db.session.commit()
    [kept] = db.session.scalars(select(DeliveryProof)).all()
    assert (kept.parcel_id, kept.kind, kept.content_type) == (parcel.id, "photo", "image/jpeg")
    assert kept.size <= 300 * 1024
    assert content_type_of(kept.content) == "image/jpeg"
