"""Real places from the official list, for test households: the villages of Turen,
Kabupaten Malang, Jawa Timur (35.07.09)."""

from __future__ import annotations

TUREN_VILLAGES = (
    "Sedayu",
    "Turen",
    "Tawangrejeni",
    "Kemulan",
    "Sawahan",
    "Undaan",
    "Gedok Kulon",
    "Gedok Wetan",
    "Talok",
    "Tanggung",
    "Jeru",
    "Pagedangan",
    "Sanankerto",
    "Sananrejo",
    "Kedok",
    "Talangsuko",
    "Tumpukrenteng",
)


def village(n: int) -> str:
    """The n-th village of Turen (after the 17th, the first again)."""
    return TUREN_VILLAGES[n % len(TUREN_VILLAGES)]


def regency(n: int) -> dict[str, str]:
    """The n-th of Indonesia's 514 regencies and cities, with its province:
    `{"province": ..., "regency": ...}` (after the 514th, the first again)."""
    from kitlog.services import places

    listed = places.gazetteer()
    regencies = [p for code, _name in places.PROVINCES for p in listed.children[code]]
    chosen = regencies[n % len(regencies)]
    return {"province": listed.by_code[chosen.parent].name, "regency": chosen.name}
