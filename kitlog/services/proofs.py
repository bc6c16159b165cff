"""Proof of delivery: the signature or photo a deliver scan carries.

The phone sends it as base64 in the scan's body (`proof: {kind, image}`). It is checked
here to be what it says before anything is stored: base64 that decodes, at most
MAX_PROOF_BYTES, and a whole PNG (signature, chunks with their CRCs, an IHDR with a size,
image data, the end chunk) or JPEG (start of image, a frame header with a size, a scan,
the end-of-image marker). A file that only starts like an image is refused: what is kept
as proof must be an image a person can open. Pillow is not needed for that: walking the
container is enough, and it never decompresses an attacker's data.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
import zlib
from dataclasses import dataclass

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from kitlog.models import MAX_PROOF_BYTES, PROOF_KINDS, DeliveryProof, Parcel, Scan
from kitlog.services.errors import FieldError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_SIDE = 20000  # pixels: what no phone's camera makes; a larger header is not a photo
KINDS = PROOF_KINDS[1:]  # what a scan may carry: not "none"


@dataclass(frozen=True)
class ProofImage:
    """A checked proof, ready to store."""

    kind: str
    content_type: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


class NotAnImage(ValueError):
    """The bytes are not a whole PNG or JPEG."""


def _png_problem(data: bytes) -> str | None:
    """Why `data` is not a whole PNG, or None."""
    if not data.startswith(PNG_SIGNATURE):
        return "signature"
    position = len(PNG_SIGNATURE)
    seen: list[bytes] = []
    while position < len(data):
        if position + 12 > len(data):
            return "truncated chunk"
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        end = position + 12 + length
        if length > 2**31 - 1 or end > len(data):
            return "truncated chunk"
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : end])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            return "chunk CRC"
        if not seen and kind != b"IHDR":
            return "IHDR first"
        if kind == b"IHDR":
            if seen or length != 13:
                return "IHDR"
            width, height = struct.unpack(">II", body[:8])
            if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
                return "size"
        seen.append(kind)
        position = end
        if kind == b"IEND":
            break
    if not seen or seen[-1] != b"IEND" or position != len(data):
        return "IEND last"
    if b"IDAT" not in seen:
        return "no image data"
    return None


# Markers without a length: start and end of image, restarts, TEM.
_STANDALONE = {0xD8, 0xD9, 0x01, *range(0xD0, 0xD8)}
# Start of frame markers (not DHT C4, JPG C8, DAC CC).
_FRAMES = {*range(0xC0, 0xD0)} - {0xC4, 0xC8, 0xCC}


def _jpeg_problem(data: bytes) -> str | None:
    """Why `data` is not a whole JPEG, or None."""
    if not data.startswith(b"\xff\xd8"):
        return "SOI"
    if not data.endswith(b"\xff\xd9"):
        return "EOI"
    position = 2
    frame = scan = False
    while position < len(data):
        if data[position] != 0xFF:
            return "marker"
        while position < len(data) and data[position] == 0xFF:  # fill bytes
            position += 1
        if position >= len(data):
            return "truncated"
        marker = data[position]
        position += 1
        if marker == 0xD9:
            return None if frame and scan and position == len(data) else "EOI early"
        if marker in _STANDALONE:
            continue
        if position + 2 > len(data):
            return "truncated"
        (length,) = struct.unpack(">H", data[position : position + 2])
        if length < 2 or position + length > len(data):
            return "segment length"
        if marker in _FRAMES:
            if length < 8:
                return "SOF"
            height, width = struct.unpack(">HH", data[position + 3 : position + 7])
            if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
                return "size"
            frame = True
        position += length
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next real marker
            if not frame:
                return "SOS before SOF"
            scan = True
            while position + 1 < len(data):
                if data[position] == 0xFF and data[position + 1] not in {
                    0x00,
                    0xFF,
                    *range(0xD0, 0xD8),
                }:
                    break
                position += 1
            else:
                return "truncated scan"
    return "EOI"


def content_type_of(data: bytes) -> str:
    """image/png or image/jpeg when `data` is a whole one; NotAnImage otherwise."""
    if data.startswith(PNG_SIGNATURE):
        problem = _png_problem(data)
        content_type = "image/png"
    elif data.startswith(b"\xff\xd8"):
        problem = _jpeg_problem(data)
        content_type = "image/jpeg"
    else:
        raise NotAnImage("neither PNG nor JPEG")
    if problem is not None:
        raise NotAnImage(problem)
    return content_type


def _refused(errors: list[FieldError], message: LazyString) -> None:
    errors.append(FieldError("proof", message))


def clean_proof(errors: list[FieldError], value: object) -> ProofImage | None:
    """The proof a scan carries, checked; None when it carries none (or a bad one, whose
    reason is added to `errors`)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        _refused(errors, _l("Give the proof as {kind, image}."))
        return None
    kind = value.get("kind")
    if kind not in KINDS:
        _refused(errors, _l("Choose one of the kinds of proof %(kinds)s.", kinds=", ".join(KINDS)))
        return None
    image = value.get("image")
    if not isinstance(image, str) or not image.strip():
        _refused(errors, _l("Add the signature or the photo."))
        return None
    text = image.strip()
    if text.startswith("data:") and "," in text:  # a data: URL, as a canvas gives it
        text = text.split(",", 1)[1]
    if len(text) > (MAX_PROOF_BYTES + 2) // 3 * 4 + 4:
        _refused(errors, _proof_too_large())
        return None
    try:
        content = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        _refused(errors, _l("The proof is not a PNG or JPEG image."))
        return None
    if len(content) > MAX_PROOF_BYTES:
        _refused(errors, _proof_too_large())
        return None
    try:
        content_type = content_type_of(content)
    except NotAnImage:
        _refused(errors, _l("The proof is not a PNG or JPEG image."))
        return None
    return ProofImage(kind=str(kind), content_type=content_type, content=content)


def _proof_too_large() -> LazyString:
    return _l("The proof is larger than %(kb)s KB: take it again.", kb=MAX_PROOF_BYTES // 1024)


def store(session: Session, parcel: Parcel, scan: Scan, proof: ProofImage) -> DeliveryProof:
    """Keep the proof of the scan that delivered the parcel."""
    row = DeliveryProof(
        parcel=parcel,
        scan=scan,
        kind=proof.kind,
        content_type=proof.content_type,
        content=proof.content,
        size=len(proof.content),
        sha256=proof.sha256,
        created_at=scan.created_at,
    )
    session.add(row)
    return row


def of_parcel(session: Session, parcel: Parcel) -> DeliveryProof | None:
    """The parcel's proof of delivery, if one was kept."""
    return session.scalars(
        select(DeliveryProof).where(DeliveryProof.parcel_id == parcel.id)
    ).first()


__all__ = [
    "KINDS",
    "NotAnImage",
    "ProofImage",
    "clean_proof",
    "content_type_of",
    "of_parcel",
    "store",
]
