"""About 2,000 demo households of migrant workers, in the provinces most PMI come from.

Names and places are realistic but invented: the villages exist, the people do not.
The same seed always gives the same households, so the demo is the same on every machine.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy.orm import Session

from kitlog.models import User
from kitlog.services import places
from kitlog.services.households import clean_household
from kitlog.services.imports import CheckedFile, import_households

SEED = 2020

# province → regency → district → villages, as the official list of places names them,
# and the province's share of the demo households (where most PMI come from).
PLACES: dict[str, tuple[float, dict[str, dict[str, list[str]]]]] = {
    "Jawa Timur": (
        0.30,
        {
            "Kabupaten Malang": {
                "Turen": ["Sedayu", "Talok", "Undaan"],
                "Dampit": ["Amadanom", "Pamotan"],
                "Kepanjen": ["Talangagung", "Panggungrejo"],
            },
            "Kabupaten Blitar": {
                "Kanigoro": ["Gogodeso", "Satreyan"],
                "Wlingi": ["Beru", "Tangkil"],
            },
            "Kabupaten Ponorogo": {
                "Babadan": ["Patihan Wetan", "Polorejo"],
                "Jetis": ["Kutu Wetan", "Mojorejo"],
            },
            "Kabupaten Tulungagung": {
                "Kalidawir": ["Betak", "Salakkembang"],
                "Boyolangu": ["Sobontoro", "Kendalbulur"],
            },
            "Kabupaten Banyuwangi": {
                "Genteng": ["Kembiritan", "Setail"],
                "Rogojampi": ["Lemahbang Dewo", "Karangbendo"],
            },
        },
    ),
    "Jawa Tengah": (
        0.22,
        {
            "Kabupaten Cilacap": {
                "Kroya": ["Pekuncen", "Ayamalas"],
                "Kesugihan": ["Dondong", "Slarang"],
            },
            "Kabupaten Kendal": {
                "Weleri": ["Penyangkringan", "Sumberagung"],
                "Cepiring": ["Karangsuno", "Juwiring"],
            },
            "Kabupaten Brebes": {
                "Bulakamba": ["Bulakparen", "Karangsari"],
                "Larangan": ["Siandong", "Sitanggal"],
            },
            "Kabupaten Banyumas": {
                "Sumbang": ["Kawungcarang", "Banjarsari Kulon"],
                "Ajibarang": ["Pancasan", "Darmakradenan"],
            },
        },
    ),
    "Jawa Barat": (
        0.20,
        {
            "Kabupaten Indramayu": {
                "Juntinyuat": ["Dadap", "Limbangan"],
                "Losarang": ["Santing", "Pangkalan"],
            },
            "Kabupaten Cirebon": {
                "Gebang": ["Gebang Mekar", "Kalipasung"],
                "Kepetakan": ["Bungko", "Karangkendal"],
            },
            "Kabupaten Subang": {
                "Pamanukan": ["Mulyasari", "Lengkongjaya"],
                "Ciasem": ["Ciasem Baru", "Sukamandijaya"],
            },
            "Kabupaten Cianjur": {
                "Cikalongkulon": ["Mekarjaya", "Cinangsi"],
                "Karangtengah": ["Sukamanah", "Hegarmanah"],
            },
        },
    ),
    "Nusa Tenggara Barat": (
        0.15,
        {
            "Kabupaten Lombok Timur": {
                "Selong": ["Kelaju Jorong", "Pancor"],
                "Sakra": ["Rumbuk", "Sakra Selatan"],
                "Masbagik": ["Masbagik Utara", "Kumbang"],
            },
            "Kabupaten Lombok Tengah": {
                "Praya": ["Leneng", "Gerunung"],
                "Jonggat": ["Ubung", "Puyung"],
            },
            "Kabupaten Sumbawa": {"Moyo Hilir": ["Berare", "Poto"]},
        },
    ),
    "Nusa Tenggara Timur": (
        0.07,
        {
            "Kabupaten Kupang": {
                "Kupang Timur": ["Oelatimo", "Babau"],
                "Amarasi": ["Ponain", "Kotabes"],
            },
            "Kabupaten Timor Tengah Selatan": {
                "Kota Soe": ["Karang Sirih", "Kampung Baru"],
                "Amanuban Barat": ["Nule", "Haumeni Baki"],
            },
            "Kabupaten Sikka": {"Alok": ["Madawat", "Kota Uneng"]},
        },
    ),
    "Lampung": (
        0.06,
        {
            "Kabupaten Lampung Timur": {
                "Pekalongan": ["Gondangrejo", "Sidodadi"],
                "Batanghari": ["Banjarejo", "Bumiharjo"],
            },
            "Kabupaten Lampung Tengah": {
                "Punggur": ["Tanggulangin", "Nunggalrejo"],
                "Kalirejo": ["Kaliwungu", "Sinar Sari"],
            },
            "Kabupaten Pringsewu": {"Gadingrejo": ["Wonodadi", "Tulung Agung"]},
        },
    ),
}

# Given names by region; most Javanese names have no family name.
MEN = {
    "java": [
        "Agus",
        "Ahmad",
        "Bambang",
        "Budi",
        "Dedi",
        "Eko",
        "Hadi",
        "Joko",
        "Muhammad",
        "Slamet",
        "Sutrisno",
        "Wahyu",
        "Asep",
        "Ujang",
        "Teguh",
        "Sugeng",
        "Imam",
        "Rudi",
        "Suparman",
        "Yanto",
        "Dwi",
        "Nur",
        "Heri",
        "Arif",
    ],
    "ntb": ["Lalu", "Muhammad", "Ahmad", "Zainal", "Sahnun", "Hamdan", "Amaq", "Junaidi"],
    "ntt": ["Yohanes", "Fransiskus", "Petrus", "Yosef", "Markus", "Agustinus", "Daniel"],
}
WOMEN = {
    "java": [
        "Siti",
        "Sri",
        "Dewi",
        "Nur",
        "Ani",
        "Yuli",
        "Rina",
        "Sumarni",
        "Suharti",
        "Endang",
        "Tuti",
        "Kartini",
        "Ratna",
        "Lestari",
        "Wahyuni",
        "Nurhayati",
        "Tri",
        "Lilis",
        "Eni",
        "Umi",
        "Rohmah",
        "Sulastri",
        "Indah",
        "Puji",
    ],
    "ntb": ["Baiq", "Nurul", "Inaq", "Hajrah", "Sumiati", "Rohani", "Halimah", "Saodah"],
    "ntt": ["Maria", "Yohana", "Agustina", "Yuliana", "Margaretha", "Elisabeth", "Fransiska"],
}
SECOND_NAMES = {
    "java": [
        "Aminah",
        "Fatimah",
        "Rahayu",
        "Setiawan",
        "Susanto",
        "Hidayat",
        "Wahyuni",
        "Purnomo",
        "Saputra",
        "Lestari",
        "Handayani",
        "Prasetyo",
        "Kurniawan",
        "Suryani",
        "Wulandari",
        "Santoso",
        "Hartono",
        "Maesaroh",
        "Kusnadi",
        "Rohayati",
    ],
    "ntb": ["Zaini", "Aini", "Hidayat", "Fitriani", "Ramdani", "Wahyudi", "Husnul", "Jannah"],
    "ntt": ["Tefa", "Nenobais", "Bria", "Seran", "Lake", "Nahak", "Da Costa", "Manek"],
}
REGION_OF = {"Nusa Tenggara Barat": "ntb", "Nusa Tenggara Timur": "ntt"}

# The migrant worker's relation to the head of household; most PMI are women working
# abroad while a husband or parent heads the household at home.
RELATIONS = [("spouse", 50), ("child", 35), ("sibling", 8), ("parent", 5), ("other", 2)]


def _name(rng: random.Random, region: str, *, woman: bool) -> str:
    first = rng.choice((WOMEN if woman else MEN)[region])
    if first in ("Lalu", "Baiq", "Inaq", "Amaq") or rng.random() < 0.8:
        return f"{first} {rng.choice(SECOND_NAMES[region])}"
    return first


def demo_household_rows(count: int, *, today: date, seed: int = SEED) -> list[dict[str, object]]:
    """`count` household rows as a spreadsheet or the API would give them."""
    rng = random.Random(seed)
    provinces = list(PLACES)
    weights = [PLACES[p][0] for p in provinces]
    rows: list[dict[str, object]] = []
    for n in range(1, count + 1):
        province = rng.choices(provinces, weights)[0]
        regencies = PLACES[province][1]
        regency = rng.choice(list(regencies))
        districts = regencies[regency]
        district = rng.choice(list(districts))
        villages = districts[district]
        area = places.best_match({"province": province, "regency": regency, "district": district})
        area_code = area[-1].code.replace(".", "")  # a NIK's first six digits
        region = REGION_OF.get(province, "java")
        relation = rng.choices([r for r, _w in RELATIONS], [w for _r, w in RELATIONS])[0]
        worker_is_woman = rng.random() < 0.7
        head_is_woman = relation == "spouse" and not worker_is_woman or rng.random() < 0.25
        head_born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 45))
        day = head_born.day + (40 if head_is_woman else 0)
        nik = f"{area_code}{day:02d}{head_born.month:02d}{head_born.year % 100:02d}{n:04d}"
        members = rng.choices(range(1, 9), [4, 10, 18, 24, 20, 12, 7, 5])[0]
        vulnerabilities = [
            name
            for name, share in (
                ("elderly", 0.15),
                ("disability", 0.04),
                ("pregnant", 0.05),
                ("under5", 0.2),
            )
            if rng.random() < share
        ]
        consent = rng.random() < 0.95
        rows.append(
            {
                "head_name": _name(rng, region, woman=head_is_woman),
                "worker_name": _name(rng, region, woman=worker_is_woman),
                "worker_relation": relation,
                "nik": nik,
                "phone": ""
                if rng.random() < 0.08
                else f"08{rng.choice('12357')}{rng.randrange(10**8, 10**9)}",
                "province": province,
                "regency": regency,
                "district": district,
                "village": rng.choice(villages),
                "members": members,
                "vulnerabilities": vulnerabilities,
                "consent": consent,
                "consent_date": today - timedelta(days=rng.randrange(3, 60)) if consent else None,
                "status": "inactive" if rng.random() < 0.02 else "active",
            }
        )
    return rows


def load_demo_households(session: Session, *, count: int, today: date, user: User | None) -> int:
    """Register the demo households as an import would: checked, then one bulk insert."""
    rows = [
        (line, clean_household(row, today=today).columns())
        for line, row in enumerate(demo_household_rows(count, today=today), start=2)
    ]
    return import_households(session, CheckedFile(total_rows=len(rows), rows=rows), user=user)
