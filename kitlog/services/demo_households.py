"""About 2,000 demo households of migrant workers, in the provinces most PMI come from.

Names and places are realistic but invented: the villages exist, the people do not.
The same seed always gives the same households, so the demo is the same on every machine.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy.orm import Session

from kitlog.models import User
from kitlog.services.households import (
    PROVINCE_CODE_OF,
    clean_household,
)
from kitlog.services.imports import CheckedFile, import_households

SEED = 2020

# province → regency → (NIK regency code, {district: (NIK district code, [villages])}),
# and the province's share of the demo households (where most PMI come from).
PLACES: dict[str, tuple[float, dict[str, tuple[str, dict[str, tuple[str, list[str]]]]]]] = {
    "Jawa Timur": (
        0.30,
        {
            "Kabupaten Malang": (
                "07",
                {
                    "Turen": ("17", ["Sedayu", "Talok", "Undaan"]),
                    "Dampit": ("18", ["Amadanom", "Pamotan"]),
                    "Kepanjen": ("21", ["Talangagung", "Panggungrejo"]),
                },
            ),
            "Kabupaten Blitar": (
                "05",
                {
                    "Kanigoro": ("09", ["Gogodeso", "Satreyan"]),
                    "Wlingi": ("14", ["Beru", "Tangkil"]),
                },
            ),
            "Kabupaten Ponorogo": (
                "02",
                {
                    "Babadan": ("16", ["Patihan Wetan", "Polorejo"]),
                    "Jetis": ("11", ["Kutu Wetan", "Mojorejo"]),
                },
            ),
            "Kabupaten Tulungagung": (
                "04",
                {
                    "Kalidawir": ("08", ["Betak", "Salakkembang"]),
                    "Boyolangu": ("12", ["Sobontoro", "Kendalbulur"]),
                },
            ),
            "Kabupaten Banyuwangi": (
                "10",
                {
                    "Genteng": ("14", ["Kembiritan", "Setail"]),
                    "Rogojampi": ("05", ["Lemahbang Dewo", "Karangbendo"]),
                },
            ),
        },
    ),
    "Jawa Tengah": (
        0.22,
        {
            "Kabupaten Cilacap": (
                "01",
                {
                    "Kroya": ("06", ["Pekuncen", "Ayamalas"]),
                    "Kesugihan": ("10", ["Dondong", "Slarang"]),
                },
            ),
            "Kabupaten Kendal": (
                "24",
                {
                    "Weleri": ("11", ["Penyangkringan", "Sumberagung"]),
                    "Cepiring": ("06", ["Karangsuno", "Juwiring"]),
                },
            ),
            "Kabupaten Brebes": (
                "29",
                {
                    "Bulakamba": ("11", ["Bulakparen", "Karangsari"]),
                    "Larangan": ("09", ["Siandong", "Sitanggal"]),
                },
            ),
            "Kabupaten Banyumas": (
                "02",
                {
                    "Sumbang": ("13", ["Kawungcarang", "Banjarsari Kulon"]),
                    "Ajibarang": ("05", ["Pancasan", "Darmakradenan"]),
                },
            ),
        },
    ),
    "Jawa Barat": (
        0.20,
        {
            "Kabupaten Indramayu": (
                "12",
                {
                    "Juntinyuat": ("16", ["Dadap", "Limbangan"]),
                    "Losarang": ("29", ["Santing", "Pangkalan"]),
                },
            ),
            "Kabupaten Cirebon": (
                "09",
                {
                    "Gebang": ("23", ["Gebang Mekar", "Kalipasung"]),
                    "Kapetakan": ("31", ["Bungko", "Karangkendal"]),
                },
            ),
            "Kabupaten Subang": (
                "13",
                {
                    "Pamanukan": ("17", ["Mulyasari", "Lengkongjaya"]),
                    "Ciasem": ("15", ["Ciasem Baru", "Sukamandijaya"]),
                },
            ),
            "Kabupaten Cianjur": (
                "03",
                {
                    "Cikalongkulon": ("20", ["Mekarjaya", "Cinangsi"]),
                    "Karangtengah": ("09", ["Sukamanah", "Hegarmanah"]),
                },
            ),
        },
    ),
    "Nusa Tenggara Barat": (
        0.15,
        {
            "Kabupaten Lombok Timur": (
                "03",
                {
                    "Selong": ("02", ["Kelayu Jorong", "Pancor"]),
                    "Sakra": ("04", ["Rumbuk", "Sakra Selatan"]),
                    "Masbagik": ("09", ["Masbagik Utara", "Kumbang"]),
                },
            ),
            "Kabupaten Lombok Tengah": (
                "02",
                {
                    "Praya": ("01", ["Leneng", "Gerunung"]),
                    "Jonggat": ("03", ["Ubung", "Puyung"]),
                },
            ),
            "Kabupaten Sumbawa": ("04", {"Moyo Hilir": ("05", ["Berare", "Poto"])}),
        },
    ),
    "Nusa Tenggara Timur": (
        0.07,
        {
            "Kabupaten Kupang": (
                "01",
                {
                    "Kupang Timur": ("04", ["Oesao", "Babau"]),
                    "Amarasi": ("01", ["Ponain", "Kotabes"]),
                },
            ),
            "Kabupaten Timor Tengah Selatan": (
                "02",
                {
                    "Kota Soe": ("15", ["Karang Siri", "Kampung Baru"]),
                    "Amanuban Barat": ("03", ["Nule", "Haumenbaki"]),
                },
            ),
            "Kabupaten Sikka": ("07", {"Alok": ("07", ["Wolomarang", "Kota Uneng"])}),
        },
    ),
    "Lampung": (
        0.06,
        {
            "Kabupaten Lampung Timur": (
                "07",
                {
                    "Pekalongan": ("09", ["Gondangrejo", "Sidodadi"]),
                    "Batanghari": ("05", ["Banjarrejo", "Bumiharjo"]),
                },
            ),
            "Kabupaten Lampung Tengah": (
                "02",
                {
                    "Punggur": ("12", ["Tanggulangin", "Nunggalrejo"]),
                    "Kalirejo": ("08", ["Kaliwungu", "Sinar Sari"]),
                },
            ),
            "Kabupaten Pringsewu": ("10", {"Gadingrejo": ("03", ["Wonodadi", "Tulung Agung"])}),
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
        regency_code, districts = regencies[regency]
        district = rng.choice(list(districts))
        district_code, villages = districts[district]
        region = REGION_OF.get(province, "java")
        relation = rng.choices([r for r, _w in RELATIONS], [w for _r, w in RELATIONS])[0]
        worker_is_woman = rng.random() < 0.7
        head_is_woman = relation == "spouse" and not worker_is_woman or rng.random() < 0.25
        head_born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 45))
        day = head_born.day + (40 if head_is_woman else 0)
        nik = (
            f"{PROVINCE_CODE_OF[province]}{regency_code}{district_code}"
            f"{day:02d}{head_born.month:02d}{head_born.year % 100:02d}{n:04d}"
        )
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
