"""A run of labels as kitlog makes them, some with long texts, for the label PDF tests."""

from __future__ import annotations

import base64

from kitlog.documents.labels import Label

BASE = "https://kitlog.example.org"
LONG_VILLAGE = "Kelurahan Sumberejo Kidul Wetan Kecamatan Ngantang Kabupaten Malang"
LONG_ROUND = "KOICA hygiene kits for PMI households, East Java, December 2020, second round"


def token(n: int) -> str:
    """A parcel token as kitlog makes them: 80 bits, base32, 16 characters."""
    return base64.b32encode((n * 7919 + 2**70).to_bytes(10, "big")).decode()


def make_labels(count: int, **changes) -> list[Label]:
    labels = []
    for n in range(count):
        values = {
            "url": f"{BASE}/p/{token(n)}",
            "code": f"ABC-DEF-{n:03d}",
            "household": f"HH-{n:06d}",
            "village": LONG_VILLAGE if n % 3 == 0 else "Sedayu",
            "round_name": LONG_ROUND if n % 2 == 0 else "Round 1",
            "donor": "KOICA",
            "kits": "2 kits",
            "head_name": "Siti Rahayu binti Abdul Rahman Wahyudi" if n % 4 == 0 else None,
        }
        values.update(changes)
        labels.append(Label(**values))
    return labels
