"""Proof of delivery: a signature or photo carried by a deliver scan, checked to be a whole
PNG or JPEG, kept once per parcel, and required when the parcel's round asks for it."""

from __future__ import annotations

import struct
import zlib

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import DeliveryProof, ParcelStatus
from kitlog.services import distribution as dist
from kitlog.services import proofs
from kitlog.services.errors import InvalidValues
from kitlog.services.proofs import NotAnImage, content_type_of
from tests import images
from tests.worlds import ScanWorld, key


@pytest.fixture
def w(make) -> ScanWorld:
    return ScanWorld(make)


def stored() -> list[DeliveryProof]:
    return list(db.session.scalars(select(DeliveryProof).order_by(DeliveryProof.id)))


def require_proof(w: ScanWorld, kind: str) -> None:
    dist.update_round(db.session, w.round, proof=kind, user=w.admin)
    db.session.commit()


# -- the image is what it says ----------------------------------------------------------------


def test_real_png_and_jpeg_are_recognised():
    assert content_type_of(images.png()) == "image/png"
    assert content_type_of(images.jpeg()) == "image/jpeg"


def _with_chunk_crc_broken(data: bytes) -> bytes:
    # the IHDR chunk's CRC follows its 13 bytes, after the signature and 8 header bytes
    at = 8 + 8 + 13
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def _png_of_size(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        proofs.PNG_SIGNATURE
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 10))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"GIF89a" + b"\0" * 40,
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        proofs.PNG_SIGNATURE + b"this is not a chunk",  # the signature alone
        pytest.param(None, id="png-cut-short"),
        pytest.param("crc", id="png-bad-crc"),
        pytest.param("zero", id="png-zero-width"),
        b"\xff\xd8\xff\xe0" + b"\0" * 40 + b"\xff\xd9",  # SOI ... EOI, nothing inside
        pytest.param("jpeg-cut", id="jpeg-without-eoi"),
        pytest.param("jpeg-trailing", id="jpeg-with-data-after-eoi"),
    ],
)
def test_what_only_looks_like_an_image_is_not_one(data):
    if data is None:
        data = images.png()[:-20]
    elif data == "crc":
        data = _with_chunk_crc_broken(images.png())
    elif data == "zero":
        data = _png_of_size(0, 10)
    elif data == "jpeg-cut":
        data = images.jpeg()[:-2]
    elif data == "jpeg-trailing":
        data = images.jpeg() + b"<script>"
    with pytest.raises(NotAnImage):
        content_type_of(data)


def test_a_hand_made_png_with_a_size_passes():
    assert content_type_of(_png_of_size(3, 2)) == "image/png"


# -- stored once ---------------------------------------------------------------------------


def test_a_delivery_keeps_its_signature_once_even_when_the_scan_is_replayed(w):
    parcel = w.parcels[0]
    w.on_the_road([parcel])
    idem = key()
    first = w.scan(parcel, "deliver", idem=idem, proof=images.signature())
    again = w.scan(parcel, "deliver", idem=idem, proof=images.signature())
    assert (first.outcome, again.outcome) == ("ok", "duplicate")
    assert parcel.status == ParcelStatus.DELIVERED
    [proof] = stored()
    assert (proof.parcel_id, proof.scan_id, proof.kind) == (parcel.id, first.scan.id, "signature")
    assert proof.content == images.png()
    assert (proof.content_type, proof.size) == ("image/png", len(images.png()))
    assert proofs.of_parcel(db.session, parcel) == proof


def test_a_refused_delivery_keeps_no_proof(w):
    parcel = w.parcels[0]
    w.on_the_road([parcel])
    w.scan(parcel, "deliver", proof=images.photo())
    refused = w.scan(parcel, "deliver", proof=images.photo(images.jpeg(30, 30)))
    assert refused.outcome == "refused"
    assert len(stored()) == 1


def test_a_photo_is_kept_as_jpeg(w):
    parcel = w.parcels[0]
    w.on_the_road([parcel])
    w.scan(parcel, "deliver", proof=images.photo())
    [proof] = stored()
    assert (proof.kind, proof.content_type) == ("photo", "image/jpeg")


# -- refused: nothing changes --------------------------------------------------------------


def _refused_fields(w, parcel, proof) -> list[tuple[str, str]]:
    with force_locale("en"):
        with pytest.raises(InvalidValues) as caught:
            w.scan(parcel, "deliver", proof=proof)
        refused = [(e.field, str(e.message)) for e in caught.value.errors]
    db.session.rollback()
    return refused


@pytest.mark.parametrize(
    ("proof", "message"),
    [
        ({"kind": "signature", "image": images.b64(b"GIF89a" + b"\0" * 64)}, "not a PNG or JPEG"),
        (
            {"kind": "signature", "image": images.b64(_with_chunk_crc_broken(images.png()))},
            "not a PNG or JPEG",
        ),
        ({"kind": "signature", "image": "not base64 at all!"}, "not a PNG or JPEG"),
        ({"kind": "fingerprint", "image": images.b64(images.png())}, "kinds of proof"),
        ({"kind": "photo", "image": ""}, "Add the signature or the photo"),
        ("a string", "{kind, image}"),
    ],
)
def test_a_proof_that_is_not_a_png_or_jpeg_is_refused_and_nothing_changes(w, proof, message):
    parcel = w.parcels[0]
    w.on_the_road([parcel])
    [(field, text)] = _refused_fields(w, parcel, proof)
    assert field == "proof"
    assert message in text
    assert parcel.status == ParcelStatus.DISPATCHED
    assert stored() == []


def test_a_proof_over_300_kb_decoded_is_refused(w):
    parcel = w.parcels[0]
    w.on_the_road([parcel])
    big = images.noisy_png(310 * 1024)
    assert len(big) > proofs.MAX_PROOF_BYTES
    [(field, text)] = _refused_fields(w, parcel, images.signature(big))
    assert (field, text) == ("proof", "The proof is larger than 300 KB: take it again.")
    assert stored() == []


def test_a_proof_just_under_the_limit_is_kept(w):
    parcel = w.parcels[0]
    w.on_the_road([parcel])
    image = images.noisy_png(250 * 1024)
    assert len(image) <= proofs.MAX_PROOF_BYTES
    assert w.scan(parcel, "deliver", proof=images.signature(image)).outcome == "ok"
    assert stored()[0].size == len(image)


def test_a_data_url_as_a_canvas_gives_it_is_taken():
    errors: list = []
    proof = proofs.clean_proof(
        errors, {"kind": "signature", "image": "data:image/png;base64," + images.b64(images.png())}
    )
    assert errors == [] and proof is not None and proof.content == images.png()


# -- the round's requirement ---------------------------------------------------------------


def test_a_round_that_needs_a_signature_refuses_a_delivery_without_one(w):
    require_proof(w, "signature")
    parcel = w.parcels[0]
    w.on_the_road([parcel])
    with force_locale("en"):
        bare = w.scan(parcel, "deliver")
        photo = w.scan(parcel, "deliver", proof=images.photo())
    for refused in (bare, photo):
        assert (refused.outcome, refused.status) == ("refused", 409)
        assert refused.detail == "Round Round 1 needs the recipient's signature."
    assert parcel.status == ParcelStatus.DISPATCHED
    assert stored() == []
    signed = w.scan(parcel, "deliver", proof=images.signature())
    assert signed.outcome == "ok"
    assert len(stored()) == 1


def test_a_round_that_needs_a_photo_says_so(w):
    require_proof(w, "photo")
    parcel = w.parcels[0]
    w.on_the_road([parcel])
    with force_locale("en"):
        refused = w.scan(parcel, "deliver", proof=images.signature())
    assert refused.detail == "Round Round 1 needs a photo of the handover."
    assert w.scan(parcel, "deliver", proof=images.photo()).outcome == "ok"


def test_a_round_without_a_requirement_takes_a_delivery_with_or_without_proof(w):
    first, second = w.parcels[:2]
    w.on_the_road([first, second])
    assert w.scan(first, "deliver").outcome == "ok"
    assert w.scan(second, "deliver", proof=images.signature()).outcome == "ok"
    assert db.session.scalar(select(func.count()).select_from(DeliveryProof)) == 1


def test_a_failed_attempt_ignores_a_proof(w):
    require_proof(w, "signature")
    parcel = w.parcels[0]
    w.on_the_road([parcel])
    result = w.scan(parcel, "fail", reason="nobody_home", proof=images.signature())
    assert result.outcome == "ok"
    assert stored() == []


def test_a_round_takes_only_known_proofs(w):
    with force_locale("en"), pytest.raises(InvalidValues) as caught:
        dist.update_round(db.session, w.round, proof="fingerprint", user=w.admin)
    assert [e.field for e in caught.value.errors] == ["proof"]


def test_anonymising_a_round_deletes_only_its_served_households_proofs(w, make):
    from kitlog.services import anonymise

    first, second = w.parcels[:2]
    w.on_the_road([first, second])
    w.scan(first, "deliver", proof=images.signature())
    w.scan(second, "deliver", proof=images.photo())
    # the second household is served again in a later round, still in progress
    later = dist.create_round(
        db.session,
        name="Round 2",
        batches=[w.batch],
        warehouse=w.warehouse,
        entitlement=1,
        user=w.admin,
    )
    dist.open_round(db.session, later, user=w.admin)
    dist.allocate(db.session, later, user=w.admin, household_codes=[second.household.code])
    db.session.commit()
    anonymise.anonymise_households(db.session, round_id=w.round.id, user=None)
    db.session.commit()
    assert [p.parcel_id for p in stored()] == [second.id]
