"""Small real images for proofs of delivery, and things that only look like one."""

from __future__ import annotations

import base64
import io

from PIL import Image


def png(width: int = 40, height: int = 20) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (20, 40, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg(width: int = 40, height: int = 20, quality: int = 80) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 20)).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def noisy_png(size: int) -> bytes:
    """A PNG that does not compress: about `size` bytes or more."""
    import os

    side = int((size / 3) ** 0.5) + 2
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def signature(data: bytes | None = None) -> dict:
    return {"kind": "signature", "image": b64(data if data is not None else png())}


def photo(data: bytes | None = None) -> dict:
    return {"kind": "photo", "image": b64(data if data is not None else jpeg())}


def camera_photo(width: int = 3000, height: int = 2000) -> bytes:
    """A photo as a phone's camera takes it: large, detailed, several MB as a JPEG."""
    import os

    noise = Image.frombytes("RGB", (width // 4, height // 4), os.urandom(width * height * 3 // 16))
    buffer = io.BytesIO()
    noise.resize((width, height)).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()
