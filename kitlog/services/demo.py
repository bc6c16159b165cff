"""The founding case: KOICA's 5,000 family hygiene kits for the households of PMI."""

from __future__ import annotations

import itertools
import json
import os
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kitlog.models import (
    Collector,
    Donor,
    Household,
    Manifest,
    ManifestStatus,
    Parcel,
    ParcelStatus,
    Role,
    Round,
    RoundMode,
    Scan,
    User,
    Verification,
    Warehouse,
)
from kitlog.services import (
    cards,
    distribution,
    feedback,
    manifests,
    pdm,
    reference,
    scans,
    sites,
    stock,
    users,
)
from kitlog.services.demo_households import load_demo_households
from kitlog.services.reference import ContentLine

LOGINS_FILE = "demo-logins.json"
DEMO_HOUSEHOLDS = 2000
DEMO_TIMEZONE = ZoneInfo("Asia/Jakarta")  # the story's days are Surabaya's days
DEMO_SEED = 2020
DEMO_DELIVERED_SHARE = 0.6  # of round 1's parcels, delivered by the end of the story
TRIP_DAYS = (18, 15, 12, 9, 6, 4)  # days ago each closed trip of round 1 left Surabaya
DEMO_ON_ROAD = 40  # parcels on the truck still on the road (dispatched yesterday)
DEMO_LOADING = 8  # parcels on the manifest being loaded (plus one re-packed return)
DEMO_ON_SHELF = 15  # parcels packed and waiting on the shelf
FAIL_SEQUENCE = ("nobody_home", "moved", "wrong_address", "nobody_home", "refused", "other")
TRUCKS = [
    ("L 8421 UB", "Slamet Riyadi", "0812 3300 4521"),
    ("W 3170 NF", "Agus Prasetyo", "0857 1234 8890"),
    ("N 1958 GK", "Bambang Sutrisno", "0813 5521 0734"),
    ("AG 8803 RS", "Wahyu Hidayat", "0821 4470 1290"),
]
# who takes a parcel at the door when the head of household is out (plausible East
# Javanese names; the people do not exist)
RECIPIENT_NAMES = [
    "Sri Wahyuni",
    "Dewi Lestari",
    "Tri Susanti",
    "Eko Purnomo",
    "Yuli Handayani",
    "Rina Astuti",
    "Joko Setiawan",
    "Nur Hidayah",
    "Wulan Rahayu",
    "Dimas Kurniawan",
    "Putri Ningsih",
    "Rizky Saputra",
    "Ani Suryani",
    "Heru Hartono",
    "Siti Aminah",
    "Bagus Prasetyo",
]

DEMO_USERS = [
    (Role.ADMIN, "admin@demo.kitlog.id", "Ayu Lestari (Admin)", None, "id"),
    (Role.WAREHOUSE, "gudang@demo.kitlog.id", "Budi Santoso", None, "id"),
    (Role.FIELD, "lapangan@demo.kitlog.id", "Siti Rahmawati", None, "id"),
    (Role.DONOR, "koica@demo.kitlog.id", "KOICA Indonesia Office", "KOICA", "en"),
]

HYGIENE_KIT = [
    ContentLine("Cloth face mask", 10, "pcs", "Masker kain"),
    ContentLine("Bar soap 85 g", 4, "bars", "Sabun batang 85 g"),
    ContentLine("Hand sanitizer 500 ml", 1, "bottle", "Cairan pembersih tangan 500 ml"),
    ContentLine("Toothpaste 120 g", 2, "tubes", "Pasta gigi 120 g"),
    ContentLine("Toothbrush", 4, "pcs", "Sikat gigi"),
    ContentLine("Sanitary pads", 2, "packs", "Pembalut wanita"),
    ContentLine("Laundry detergent 800 g", 1, "bag", "Deterjen cuci 800 g"),
    ContentLine("Bucket with lid 20 l", 1, "pcs", "Ember bertutup 20 l"),
]


@dataclass
class DemoStory:
    """Where round 1 stands at the end of the demo's story."""

    parcels: int = 0
    delivered: int = 0
    failed_returned: int = 0  # failed at the door, then back in the warehouse
    returned: int = 0  # returned to stock (the failed ones included), not re-packed
    on_the_road: int = 0  # dispatched or failed on the manifest still out
    loading: int = 0
    packed: int = 0  # packed on the shelf, on no manifest
    allocated: int = 0
    closed_manifests: int = 0


@dataclass
class DemoLogins:
    created: bool
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    story: DemoStory | None = None


def _logins_path(instance_path: str) -> Path:
    return Path(instance_path) / LOGINS_FILE


def load_demo(session: Session, instance_path: str, *, today: date | None = None) -> DemoLogins:
    """Load the demo once; later calls only return the logins made the first time.

    The founding case replayed now: the KOICA batch arrived three weeks ago and
    expires in two years, 2,000 PMI households are registered, and a first round for
    Jawa Timur, allocated from Surabaya 19 days ago, is well under way: about 60% of its
    parcels are delivered, a truck is on the road and another one is loading.
    """
    today = today or date.today()
    clock = _Clock(today)
    path = _logins_path(instance_path)
    if session.scalar(select(Donor).where(Donor.code == "KOICA")) is not None:
        rows = [tuple(r) for r in json.loads(path.read_text())] if path.exists() else []
        return DemoLogins(created=False, rows=rows)

    koica = reference.create_donor(
        session, code="KOICA", name="Korea International Cooperation Agency", country="Korea"
    )
    kit = reference.create_kit_type(
        session,
        code="HK-FAM",
        name="Family hygiene kit (Covid-19)",
        name_id="Paket kebersihan keluarga (Covid-19)",
        weight_kg="6.500",
        volume_m3="0.0450",
        contents=HYGIENE_KIT,
    )
    jakarta = reference.create_warehouse(
        session,
        code="JKT-01",
        name="Gudang BP2MI Jakarta",
        village_code="31.74.08.1005",  # Pengadegan, Pancoran, Kota Adm. Jakarta Selatan
        address="Jl. MT Haryono Kav. 52, Pancoran, Jakarta Selatan",
    )
    surabaya = reference.create_warehouse(
        session,
        code="SBY-01",
        name="Gudang UPT BP2MI Surabaya",
        village_code="35.15.17.2011",  # Sedatigede, Sedati, Kabupaten Sidoarjo (by Juanda)
        address="Jl. Raya Juanda, Sedati, Sidoarjo",
    )
    rows = []
    created_users: dict[str, User] = {}
    for role, email, name, donor_code, language in DEMO_USERS:
        password = users.new_password()
        created_users[role] = users.create_user(
            session,
            email=email,
            password=password,
            role=role,
            name=name,
            donor=koica if donor_code else None,
            language=language,
        )
        rows.append((str(role), email, password))
    batch = stock.receive_batch(
        session,
        donor=koica,
        kit_type=kit,
        warehouse=jakarta,
        reference="IOM-BP2MI/KOICA/2020-11",
        lot="KOICA-HK-2020-001",
        expiry_date=today + timedelta(days=730),
        quantity_pledged=5000,
        quantity_received=5000,
        quantity_damaged=10,
        received_date=today - timedelta(days=21),
        user=created_users[Role.WAREHOUSE],
        now=clock(21, 9),
    )
    stock.transfer_stock(
        session,
        batch=batch,
        from_warehouse=jakarta,
        to_warehouse=surabaya,
        quantity=1500,
        note="Alokasi Jawa Timur",
        user=created_users[Role.WAREHOUSE],
        now=clock(20, 10),
    )
    admin, officer = created_users[Role.ADMIN], created_users[Role.FIELD]
    load_demo_households(session, count=DEMO_HOUSEHOLDS, today=today, user=officer)
    east_java = distribution.create_round(
        session,
        name="Putaran 1 – Jawa Timur",
        batches=[batch],
        warehouse=surabaya,
        entitlement=1,
        province="Jawa Timur",
        start_date=today - timedelta(days=19),
        end_date=today + timedelta(days=14),
        user=admin,
        now=clock(19, 9),
    )
    distribution.open_round(session, east_java, user=admin, now=clock(19, 9, 5))
    distribution.allocate(
        session, east_java, user=admin, today=today - timedelta(days=19), now=clock(19, 9, 10)
    )
    _round_one_under_way(
        session, east_java, surabaya, created_users[Role.WAREHOUSE], officer, clock
    )
    _listening(session, east_java, admin, officer, clock)
    ntb = distribution.create_round(
        session,
        name="Putaran 2 – Nusa Tenggara Barat",
        batches=[batch],
        warehouse=jakarta,
        entitlement=2,
        members_per_kit=4,
        province="Nusa Tenggara Barat",
        vulnerable_first=True,
        start_date=today + timedelta(days=14),
        end_date=today + timedelta(days=28),
        verification=Verification.CARD,
        mode=RoundMode.SITE,
        user=admin,
        now=clock(2, 11),
    )
    _sites_and_cards(session, ntb, today, admin, officer, clock)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(rows, fh)
    return DemoLogins(created=True, rows=rows, story=demo_story(session, east_java))


# What the households of round 1 said: (category, what they said, days ago, the answer
# given, and how many days later; None: still open). One is about staff conduct.
DEMO_FEEDBACK = (
    ("missing_items", "Masker di dalam kit hanya 8, seharusnya 10.", 9, "Masker diganti.", 3),
    ("damaged", "Botol sabun cair bocor saat diterima.", 8, "Kit diganti di kunjungan berikut.", 4),
    ("not_received", "Tetangga sudah terima, kami belum.", 6, None, None),
    ("question", "Apakah ada paket kedua untuk keluarga kami?", 5, "Belum ada putaran kedua.", 1),
    ("staff_conduct", "Petugas meminta uang bensin.", 4, None, None),
    ("wrong_person", "Paket diterima oleh kerabat yang tidak serumah.", 3, None, None),
)
DEMO_PDM_SEED = 20201118  # the IOM–BP2MI agreement's month: the draw can be made again
DEMO_PDM_ANSWERED = 0.6  # of the sample, answered so far


def _listening(session: Session, round_: Round, admin: User, officer: User, clock: _Clock) -> None:
    """Round 1's feedback (some answered) and its monitoring sample, partly surveyed."""
    delivered = session.scalars(
        select(Parcel)
        .where(Parcel.round_id == round_.id, Parcel.status == ParcelStatus.DELIVERED)
        .order_by(Parcel.id)
    ).all()
    for n, (category, text, days, answer, after) in enumerate(DEMO_FEEDBACK):
        parcel = delivered[n * 7] if category != "not_received" else None
        entry = feedback.record_feedback(
            session,
            {
                "category": category,
                "channel": "officer" if n % 2 == 0 else "phone",
                "text": text,
                "parcel": parcel.short_code if parcel is not None else None,
                "household": None if parcel is not None else delivered[-1].household.code,
            },
            user=officer if n % 2 == 0 else admin,
            now=clock(days, 10, n),
        ).feedback
        if answer is not None and after is not None:
            feedback.change_status(
                session, entry, "resolved", answer, user=admin, now=clock(days - after, 15, n)
            )
    sample = pdm.draw_sample(session, round_, seed=DEMO_PDM_SEED, user=admin, now=clock(3, 9))
    rng = random.Random(DEMO_PDM_SEED)
    answered = sample.parcels[: int(len(sample.parcels) * DEMO_PDM_ANSWERED)]
    for n, drawn in enumerate(answered):
        complete = rng.random() < 0.85
        pdm.record_response(
            session,
            {
                "parcel": drawn.parcel.short_code,
                "received_complete": complete,
                "items_missing": [] if complete else [1],
                "satisfaction": rng.choice((3, 4, 4, 5, 5)) if complete else rng.choice((2, 3)),
                "comment": "",
            },
            user=officer,
            now=clock(2, 9, n % 60),
        )


# The second round is collected at distribution sites with the households' cards: one
# site for each district it has households in most, for two days from its first day.
DEMO_SITES = (("Kantor Camat Selong", "Selong"), ("Balai Desa Rumbuk", "Sakra"))
DEMO_COLLECTORS = (("Wati", "tetangga"), ("Rudi", "anak"))


def _sites_and_cards(
    session: Session, round_: Round, today: date, admin: User, officer: User, clock: _Clock
) -> None:
    """The Nusa Tenggara Barat round's sites, cards for its province's households (printed
    ahead of the site days), and a collector named by every fifth of them."""
    households = session.scalars(
        select(Household).where(Household.province == "Nusa Tenggara Barat").order_by(Household.id)
    ).all()
    for n, household in enumerate(households):
        cards.issue_card(session, household, user=officer, now=clock(3, 9, n % 50))
        if n % 5 == 0:
            name, relation = DEMO_COLLECTORS[n % 2]
            session.add(
                Collector(
                    household_id=household.id,
                    name=f"{name} {household.code[-3:]}",
                    relation=relation,
                    created_at=clock(3, 10),
                    created_by_id=officer.id,
                )
            )
    first = round_.start_date or today
    for name, district in DEMO_SITES:
        sites.create_site(
            session,
            round_,
            {
                "name": name,
                "regency": "Kabupaten Lombok Timur",
                "district": district,
                "start_date": first,
                "end_date": first + timedelta(days=1),
            },
            user=admin,
            now=clock(2, 11, 30),
        )


def demo_story(session: Session, round_: Round) -> DemoStory:
    """Count where the round's parcels are (one GROUP BY) and the closed manifests."""
    by_status: dict[str, int] = {
        status: int(n)
        for status, n in session.execute(
            select(Parcel.status, func.count())
            .where(Parcel.round_id == round_.id)
            .group_by(Parcel.status)
        )
    }
    loading = int(
        session.scalar(
            select(func.count())
            .select_from(Parcel)
            .join(Manifest, Manifest.id == Parcel.manifest_id)
            .where(
                Parcel.round_id == round_.id,
                Parcel.status == ParcelStatus.PACKED,
                Manifest.status == ManifestStatus.OPEN,
            )
        )
        or 0
    )
    failed_back = int(
        session.scalar(
            select(func.count(func.distinct(Scan.parcel_id)))
            .join(Parcel, Parcel.id == Scan.parcel_id)
            .where(
                Parcel.round_id == round_.id,
                Parcel.status.not_in([ParcelStatus.DELIVERED, ParcelStatus.FAILED]),
                Scan.action == "fail",
                Scan.outcome == "ok",
            )
        )
        or 0
    )
    closed = session.scalar(
        select(func.count()).select_from(Manifest).where(Manifest.status == ManifestStatus.CLOSED)
    )
    return DemoStory(
        parcels=sum(by_status.values()),
        delivered=by_status.get(ParcelStatus.DELIVERED, 0),
        failed_returned=failed_back,
        returned=by_status.get(ParcelStatus.RETURNED, 0),
        on_the_road=by_status.get(ParcelStatus.DISPATCHED, 0)
        + by_status.get(ParcelStatus.FAILED, 0),
        loading=loading,
        packed=by_status.get(ParcelStatus.PACKED, 0) - loading,
        allocated=by_status.get(ParcelStatus.ALLOCATED, 0),
        closed_manifests=int(closed or 0),
    )


@dataclass
class _Clock:
    """Moments of the demo's story, `days_ago` local days before today (Jakarta time),
    never later than a minute ago."""

    today: date

    def __call__(self, days_ago: int, hour: int, minute: int = 0) -> datetime:
        day = self.today - timedelta(days=days_ago)
        moment = datetime.combine(day, time(hour, 0), tzinfo=DEMO_TIMEZONE) + timedelta(
            minutes=minute
        )
        return min(moment.astimezone(UTC), datetime.now(UTC) - timedelta(minutes=1))


@dataclass
class _Trip:
    """One truck of round 1: its parcels and what happens to them at the doors."""

    parcels: list[tuple[Parcel, Household]]
    dispatch_days_ago: int
    fails: int = 0  # failed deliveries (reasons varied), returned to stock
    returns_by_scan: int = 0  # of the failed, brought back and scanned in before closing
    second_attempts: int = 0  # failed on the first day, delivered the next
    closes: bool = True
    pending: int = 0  # still on the truck, never scanned (a trip on the road)


class _Story:
    """Round 1 told through the services the pages use: scans by the demo's warehouse
    keeper and field officer, manifests created, dispatched and closed."""

    def __init__(
        self, session: Session, warehouse: Warehouse, keeper: User, officer: User, clock: _Clock
    ):
        self.session = session
        self.warehouse = warehouse
        self.keeper = keeper
        self.officer = officer
        self.clock = clock
        self.rng = random.Random(DEMO_SEED)
        self.reasons = itertools.cycle(FAIL_SEQUENCE)
        self.trucks = itertools.cycle(TRUCKS)

    def scan(
        self,
        parcel: Parcel,
        action: str,
        moment: datetime,
        key: str,
        *,
        recipient_name: str = "",
        recipient_relation: str = "",
        reason: str | None = None,
    ) -> None:
        user = self.officer if action in ("deliver", "fail") else self.keeper
        delay = timedelta(seconds=20)
        if action in ("deliver", "fail") and parcel.id % 9 == 0:
            delay = timedelta(hours=2, minutes=parcel.id % 50)  # sent from the outbox later
        result = scans.record_scan(
            self.session,
            scans.ScanInput(
                code=parcel.short_code,
                action=action,
                idempotency_key=f"demo-{key}-{parcel.id}",
                scanned_at=moment,
                recipient_name=recipient_name,
                recipient_relation=recipient_relation,
                reason=reason,
            ),
            user=user,
            now=min(moment + delay, datetime.now(UTC)),
        )
        if result.outcome != "ok":  # pragma: no cover - the story follows the rules
            raise RuntimeError(f"demo {action} of {parcel.short_code}: {result.detail}")

    def pack(self, rows: list[tuple[Parcel, Household]], days_ago: int, key: str = "pack") -> None:
        for n, (parcel, _household) in enumerate(rows):
            self.scan(parcel, "pack", self.clock(days_ago, 13, n // 4), key)

    def manifest(self, rows: list[tuple[Parcel, Household]], days_ago: int) -> Manifest:
        vehicle, driver, phone = next(self.trucks)
        return manifests.create_manifest(
            self.session,
            warehouse=self.warehouse,
            destination=_destination([h for _p, h in rows]),
            vehicle=vehicle,
            driver_name=driver,
            driver_phone=phone,
            planned_date=self.today - timedelta(days=days_ago - 1),
            parcels=[p.short_code for p, _h in rows],
            user=self.keeper,
            now=self.clock(days_ago, 16),
        )

    @property
    def today(self) -> date:
        return self.clock.today

    def deliver(
        self, parcel: Parcel, household: Household, moment: datetime, key: str = "deliver"
    ) -> None:
        if self.rng.random() < 0.7:
            name, relation = household.head_name, "head"
        else:
            relation = self.rng.choice(["spouse", "child", "child", "parent", "sibling"])
            name = self.rng.choice(RECIPIENT_NAMES)
        self.scan(
            parcel,
            "deliver",
            moment,
            key,
            recipient_name=name,
            recipient_relation=relation,
        )

    def run(self, trip: _Trip) -> Manifest:
        day = trip.dispatch_days_ago
        self.pack(trip.parcels, day + 1)
        manifest = self.manifest(trip.parcels, day + 1)
        manifests.dispatch_manifest(
            self.session, manifest, user=self.keeper, now=self.clock(day, 7, 30)
        )
        rows = list(trip.parcels)
        failed = rows[: trip.fails]
        delivered = rows[trip.fails : len(rows) - trip.pending]
        # a closed trip delivers over two days; the truck on the road, yesterday so far
        first_day = (len(delivered) * 3) // 5 if trip.closes else len(delivered)
        for n, (parcel, household) in enumerate(delivered):
            on_day, slot = (day, n) if n < first_day else (day - 1, n - first_day)
            self.deliver(parcel, household, self.clock(on_day, 9, slot * 7))
        for n, (parcel, _household) in enumerate(failed):
            self.scan(
                parcel, "fail", self.clock(day, 10, 25 + n * 41), "fail", reason=next(self.reasons)
            )
        for n, (parcel, household) in enumerate(failed[: trip.second_attempts]):
            self.deliver(parcel, household, self.clock(day - 1, 15, n * 9), "redeliver")
        returning = failed[trip.second_attempts :]
        if trip.closes:
            for n, (parcel, _household) in enumerate(returning[: trip.returns_by_scan]):
                self.scan(parcel, "return", self.clock(day - 2, 8, n * 3), "return")
            manifests.close_manifest(
                self.session, manifest, user=self.keeper, now=self.clock(day - 2, 15)
            )
        return manifest


def _destination(households: list[Household]) -> str:
    """Where a trip goes: its busiest districts, then their regency."""
    counts = Counter((h.district, h.regency) for h in households).most_common(2)
    # a second district only when the truck really serves it (a quarter of its parcels)
    districts = [place for place, n in counts if n * 4 >= len(households)] or [counts[0][0]]
    regencies = list(dict.fromkeys(regency for _d, regency in districts))
    names = " & ".join(f"Kec. {district}" for district, _r in districts)
    return f"{names}, {' & '.join(regencies)}"


def _round_one_under_way(
    session: Session,
    round_: Round,
    warehouse: Warehouse,
    keeper: User,
    officer: User,
    clock: _Clock,
) -> None:
    """Round 1 under way over the last three weeks, through the same services the pages
    use: six trucks dispatched and closed (most parcels delivered, a few failed with
    varied reasons and returned to stock, two delivered at a second attempt), one on the
    road with deliveries still coming, one manifest loading (with a returned parcel
    re-packed), some parcels packed on the shelf and the rest still allocated. About 60%
    of the round's parcels end up delivered."""
    rows = [
        (parcel, household)
        for parcel, household in session.execute(
            select(Parcel, Household)
            .join(Household, Household.id == Parcel.household_id)
            .where(Parcel.round_id == round_.id)
            .order_by(Household.regency, Household.district, Household.village, Household.code)
        )
    ]
    if not rows:
        return
    total = len(rows)
    on_road_size = min(DEMO_ON_ROAD, total // 10)
    on_road_delivered = (on_road_size * 3) // 5
    closed_delivered = max(round(total * DEMO_DELIVERED_SHARE) - on_road_delivered, 0)
    story = _Story(session, warehouse, keeper, officer, clock)
    cursor = 0

    def take(k: int) -> list[tuple[Parcel, Household]]:
        nonlocal cursor
        chosen = rows[cursor : cursor + max(k, 0)]
        cursor += len(chosen)
        return chosen

    per_trip, extra = divmod(closed_delivered, len(TRIP_DAYS))
    for n, days_ago in enumerate(TRIP_DAYS):
        fails = 3 if n in (1, 4) else 2
        second = 1 if n in (2, 3) else 0
        delivered = per_trip + (1 if n < extra else 0) - second
        trip = _Trip(
            take(delivered + fails),
            days_ago,
            fails=fails,
            returns_by_scan=1 if n in (1, 3, 5) else 0,
            second_attempts=second,
        )
        if trip.parcels:
            story.run(trip)
    on_road = _Trip(
        take(on_road_size),
        1,
        fails=1,
        closes=False,
        pending=on_road_size - on_road_delivered - 1,
    )
    if on_road.parcels:
        story.run(on_road)
    loading = take(DEMO_LOADING)
    returned = session.scalars(
        select(Parcel)
        .where(Parcel.round_id == round_.id, Parcel.status == ParcelStatus.RETURNED)
        .order_by(Parcel.id)
        .limit(1)
    ).first()
    if returned is not None:  # back from a trip, re-packed, going out again
        loading.append((returned, returned.household))
        story.pack([loading[-1]], 1, key="repack")
    story.pack(loading[:-1] if returned is not None else loading, 1)
    if loading:
        story.manifest(loading, 0)
    story.pack(take(DEMO_ON_SHELF), 1)
    session.flush()


__all__ = ["DemoLogins", "DemoStory", "demo_story", "load_demo"]
