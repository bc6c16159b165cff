"""Distribution sites (titik distribusi): a place and days where the households of a
`site` round come to collect their parcels, and what a site finds from a household's card.

A site serves the round's households that live in its place (an official district or
village, matched by the households' `district_code` or `village_code`). Its parcels
travel on manifests that name it (`Manifest.site_id`): created here with the site's name
as destination and loaded by area (`manifests.add_parcels_by_area`, the site's place),
then dispatched and closed as any trip, so a site's day is reconciled by the same
`manifests.close_manifest`; nothing here writes a second copy of it.

The running count of a site's day is derived from the parcels, never kept: served =
parcels of its manifests delivered in the site's local day (its warehouse's clock);
expected = served + parcels still on its dispatched manifests, not delivered yet.

A phone that keeps a site's day for working offline holds its households' card hashes
(`cards.token_hash` and `short_code_hash`), never a card's token or short code: the
hashes let it recognise a card, not make one.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from kitlog.models import (
    Collector,
    DistributionSite,
    Household,
    HouseholdCard,
    Manifest,
    ManifestStatus,
    Parcel,
    ParcelStatus,
    Round,
    RoundMode,
    RoundStatus,
    ScanAction,
    User,
)
from kitlog.models.base import as_utc, utcnow
from kitlog.models.cards import MAX_SITE_NAME
from kitlog.services import cards, manifests, parcel_codes, places, scans, time_zones
from kitlog.services.errors import Conflict, FieldError, InvalidValues, NotFound
from kitlog.services.manifests import MAX_PARCELS
from kitlog.text import storable

SITE_LEVELS = ("district", "village")  # the places a site may serve
# Parcels a site's card lookup never shows: they are no longer anyone's to hand over.
_GONE = (ParcelStatus.CANCELLED, ParcelStatus.RETURNED)


def short_code_hash(short_code: str) -> str:
    """The hex SHA-256 of a card's short code as stored (its 9 symbols, upper case, no
    hyphens): what a phone keeps to recognise a typed card offline."""
    return hashlib.sha256(short_code.strip().upper().encode("ascii")).hexdigest()


# -- writing a site ------------------------------------------------------------------------


def _clean_name(value: object, errors: list[FieldError]) -> str:
    name = " ".join(str(value or "").split())
    if not name:
        errors.append(FieldError("name", _l("Name the site (the village hall, the school…).")))
    elif len(name) > MAX_SITE_NAME:
        errors.append(FieldError("name", _l("Keep this under %(n)s characters.", n=MAX_SITE_NAME)))
    elif not storable(name):
        errors.append(FieldError("name", _l("Contains characters that are not allowed.")))
    return name


def _in_area(round_: Round, place: places.Place) -> bool:
    area = round_.regency_code or round_.province_code
    return area is None or place.code.startswith(area + ".")


def _place(round_: Round, raw: dict[str, object], errors: list[FieldError]) -> str | None:
    """The official district or village the site serves, by code (`place_code`) or by
    names (`district`, `village`; the province and regency default to the round's)."""
    given = {key: raw.get(key) for key in ("province", "regency", "district", "village")}
    if not raw.get("place_code") and not given["province"] and not given["regency"]:
        given["province"], given["regency"] = round_.province, round_.regency
    try:
        address = places.resolve(
            {**given, "place_code": raw.get("place_code")},
            deepest="village",
            required="district",
            code_field="place_code",
        )
    except InvalidValues as error:
        errors.extend(error.errors)
        return None
    assert address is not None  # noqa: S101 - a district is required
    place = address.places[-1]
    if not _in_area(round_, place):
        errors.append(
            FieldError(
                "place_code",
                _l(
                    "%(place)s is outside the round's area: choose a district or village of"
                    " %(area)s.",
                    place=place.label,
                    area=round_.regency or round_.province or "",
                ),
            )
        )
        return None
    return place.code


def _day_or_open(day: date | None) -> str:
    return time_zones.format_day(day) if day else "…"


def _dates(
    round_: Round, start: date | None, end: date | None, errors: list[FieldError]
) -> tuple[date | None, date | None]:
    if start is None:
        errors.append(FieldError("start_date", _l("Give the site's first day.")))
    end = end or start
    if start is not None and end is not None:
        if end < start:
            errors.append(FieldError("end_date", _l("The last day comes after the first.")))
        elif (round_.start_date and start < round_.start_date) or (
            round_.end_date and end > round_.end_date
        ):
            errors.append(
                FieldError(
                    "start_date" if round_.start_date and start < round_.start_date else "end_date",
                    _l(
                        "The site's days must fall within the round's: %(start)s to %(end)s.",
                        start=_day_or_open(round_.start_date),
                        end=_day_or_open(round_.end_date),
                    ),
                )
            )
    return start, end


def _refuse_unless_site_round(round_: Round) -> None:
    if round_.mode != RoundMode.SITE:
        raise Conflict(
            _l(
                "Round %(name)s is delivered door to door: only a round whose parcels are"
                " collected at sites has distribution sites.",
                name=round_.name,
            ),
            field="round",
        )
    if round_.status == RoundStatus.CLOSED:
        raise Conflict(
            _l("Round %(name)s is closed: its sites can no longer change.", name=round_.name),
            field="round",
        )


def _checked(round_: Round, values: dict[str, Any]) -> tuple[str, str, date, date]:
    errors: list[FieldError] = []
    name = _clean_name(values.get("name"), errors)
    code = _place(round_, values, errors)
    start, end = _dates(round_, values.get("start_date"), values.get("end_date"), errors)
    if errors:
        raise InvalidValues(errors)
    assert code is not None and start is not None and end is not None  # noqa: S101
    return name, code, start, end


def create_site(
    session: Session,
    round_: Round,
    values: dict[str, Any],
    *,
    user: User | None,
    now: datetime | None = None,
) -> DistributionSite:
    """A site for a `site` round (409 for a door round or a closed one): a name, a
    district or village of the round's area, and days within the round's."""
    _refuse_unless_site_round(round_)
    name, code, start, end = _checked(round_, values)
    site = DistributionSite(
        round_id=round_.id,
        name=name,
        place_code=code,
        start_date=start,
        end_date=end,
        created_at=now or utcnow(),
        created_by_id=user.id if user is not None else None,
    )
    session.add(site)
    session.flush()
    return site


def update_site(
    session: Session, site: DistributionSite, values: dict[str, Any], *, user: User | None
) -> DistributionSite:
    """Correct a site's name, place or days, by the same rules as creating it."""
    _refuse_unless_site_round(site.round)
    site.name, site.place_code, site.start_date, site.end_date = _checked(site.round, values)
    session.flush()
    return site


def get_site(session: Session, site_id: int) -> DistributionSite:
    site = session.get(DistributionSite, site_id) if 1 <= site_id < 2**31 else None
    if site is None:
        raise NotFound(_l("No distribution site has the id %(id)s.", id=site_id))
    return site


def round_sites(session: Session, round_: Round) -> list[DistributionSite]:
    return list(
        session.scalars(
            select(DistributionSite)
            .where(DistributionSite.round_id == round_.id)
            .order_by(DistributionSite.start_date, DistributionSite.name, DistributionSite.id)
        )
    )


def place_name(site: DistributionSite) -> str:
    """The site's place as people say it: 'Sedayu, Turen'."""
    listed = places.gazetteer()
    place = listed.get(site.place_code)
    if place is None:
        return site.place_code
    parent = listed.get(place.parent)
    return f"{place.name}, {parent.name}" if parent and place.level == "village" else place.name


# -- the site's households and manifests ---------------------------------------------------


def lives_at(site: DistributionSite) -> ColumnElement[bool]:
    """The condition on Household of living in the site's place."""
    return or_(
        Household.district_code == site.place_code, Household.village_code == site.place_code
    )


def site_parcels_query(site: DistributionSite) -> Select[Parcel]:
    """The site round's parcels (not cancelled) of households living in its place."""
    return (
        select(Parcel)
        .join(Household, Household.id == Parcel.household_id)
        .where(
            Parcel.round_id == site.round_id,
            Parcel.status != ParcelStatus.CANCELLED,
            lives_at(site),
        )
    )


def site_manifests(session: Session, site: DistributionSite) -> list[Manifest]:
    return list(
        session.scalars(
            select(Manifest).where(Manifest.site_id == site.id).order_by(Manifest.id.desc())
        )
    )


def create_site_manifest(
    session: Session,
    site: DistributionSite,
    *,
    vehicle: str,
    driver_name: str,
    driver_phone: str = "",
    planned_date: date | None = None,
    user: User | None,
    now: datetime | None = None,
) -> tuple[Manifest, int]:
    """A manifest that takes the site's parcels there: its destination is the site, its
    date the site's first day, and every packed parcel of the site's households that is
    on no open manifest is loaded at once (`manifests.add_parcels_by_area`, the site's
    place); parcels packed later are loaded as on any manifest. Returns it and how many
    parcels it took."""
    _refuse_unless_site_round(site.round)
    manifest = manifests.create_manifest(
        session,
        warehouse=site.round.warehouse,
        destination=site.name,
        vehicle=vehicle,
        driver_name=driver_name,
        driver_phone=driver_phone,
        planned_date=planned_date or site.start_date,
        user=user,
        now=now,
    )
    manifest.site_id = site.id
    session.flush()
    waiting = session.scalar(
        select(func.count())
        .select_from(Parcel)
        .join(Household, Household.id == Parcel.household_id)
        .where(
            Parcel.round_id == site.round_id,
            Parcel.status == ParcelStatus.PACKED,
            lives_at(site),
        )
    )
    loaded: list[Parcel] = []
    if waiting:
        level = places.level_of(site.place_code)
        try:
            loaded = manifests.add_parcels_by_area(
                session,
                manifest,
                round=site.round,
                district_code=site.place_code if level == "district" else "",
                village_code=site.place_code if level == "village" else "",
                user=user,
                now=now,
            )
        except Conflict:  # all of them on other open manifests: nothing to take
            loaded = []
    return manifest, len(loaded)


# -- the site's day ------------------------------------------------------------------------


def zone(site: DistributionSite) -> str:
    """The site's clock: its round's warehouse's."""
    return time_zones.zone_of(site.round.warehouse)


def local_day(site: DistributionSite, now: datetime | None = None) -> date:
    return time_zones.in_zone(now or utcnow(), zone(site)).date()


def _day_bounds(site: DistributionSite, day: date) -> tuple[datetime, datetime]:
    info = time_zones.zone_info(zone(site))
    start = datetime.combine(day, time(0), tzinfo=info)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


@dataclass(frozen=True)
class SiteCount:
    """A site's day: parcels handed over, and parcels expected (served included)."""

    day: date
    served: int
    expected: int

    @property
    def waiting(self) -> int:
        return self.expected - self.served


def site_count(session: Session, site: DistributionSite, now: datetime | None = None) -> SiteCount:
    """Served and expected today at the site (its warehouse's local day)."""
    day = local_day(site, now)
    start, end = _day_bounds(site, day)
    on_site = select(Manifest.id).where(Manifest.site_id == site.id)
    on_road = on_site.where(Manifest.status == ManifestStatus.DISPATCHED)
    served_today = and_(
        Parcel.status == ParcelStatus.DELIVERED,
        Parcel.delivered_at >= start,
        Parcel.delivered_at < end,
    )
    served, waiting = session.execute(
        select(
            func.count().filter(served_today),
            func.count().filter(
                Parcel.status.in_([ParcelStatus.DISPATCHED, ParcelStatus.FAILED]),
                Parcel.manifest_id.in_(on_road),
            ),
        ).where(Parcel.manifest_id.in_(on_site))
    ).one()
    return SiteCount(day=day, served=served or 0, expected=(served or 0) + (waiting or 0))


def sites_today(session: Session, now: datetime | None = None) -> list[DistributionSite]:
    """The sites of open `site` rounds whose days include today (each on its own
    warehouse's clock)."""
    now = now or utcnow()
    around = now.date()
    candidates = session.scalars(
        select(DistributionSite)
        .join(Round, Round.id == DistributionSite.round_id)
        .where(
            Round.status == RoundStatus.OPEN,
            Round.mode == RoundMode.SITE,
            DistributionSite.start_date <= around + timedelta(days=1),
            DistributionSite.end_date >= around - timedelta(days=1),
        )
        .options(selectinload(DistributionSite.round).selectinload(Round.warehouse))
        .order_by(DistributionSite.name, DistributionSite.id)
    )
    return [s for s in candidates if s.start_date <= local_day(s, now) <= s.end_date]


def end_site_day(
    session: Session,
    site: DistributionSite,
    *,
    outcome: str,
    reason: str = "",
    user: User,
    now: datetime | None = None,
) -> list[Parcel]:
    """What becomes of the parcels nobody collected at the end of a site's day, through
    the scan and the trip's close the door uses: `follow_up` records each as a failed
    delivery (`fail`, nobody came), so it is a follow-up until the warehouse puts it on
    the next manifest or closes this one; `return` closes the site's dispatched
    manifests with the reason (`manifests.close_manifest`), which takes every parcel not
    delivered back into stock. Returns the parcels concerned."""
    now = now or utcnow()
    on_road = [m for m in site_manifests(session, site) if m.status == ManifestStatus.DISPATCHED]
    if not on_road:
        raise Conflict(
            _l("Site %(name)s has no manifest on the road to close.", name=site.name),
            field="outcome",
        )
    uncollected = list(
        session.scalars(
            select(Parcel)
            .where(
                Parcel.manifest_id.in_([m.id for m in on_road]),
                Parcel.status.in_([ParcelStatus.DISPATCHED, ParcelStatus.FAILED]),
            )
            .order_by(Parcel.id)
        )
    )
    if outcome == "follow_up":
        day = local_day(site, now).isoformat()
        for parcel in uncollected:
            if parcel.status != ParcelStatus.DISPATCHED:
                continue  # already a follow-up
            scans.record_scan(
                session,
                scans.ScanInput(
                    code=parcel.token,
                    action=ScanAction.FAIL,
                    idempotency_key=f"site-{site.id}-{day}-{parcel.id}",
                    scanned_at=now,
                    reason="nobody_home",
                    note=str(_l("Not collected at the site %(name)s.", name=site.name)),
                ),
                user=user,
                now=now,
            )
        return uncollected
    if outcome == "return":
        for manifest in on_road:
            manifests.close_manifest(session, manifest, reason=reason, user=user, now=now)
        return uncollected
    raise InvalidValues(
        [FieldError("outcome", _l("Choose: follow up the parcels, or return them to stock."))]
    )


# -- a household's card, at a site ---------------------------------------------------------


@dataclass
class CardParcel:
    parcel: Parcel
    actions: list[str]


@dataclass
class CardLookup:
    """A card's household, its collectors, and its parcels a site may hand over or has
    handed over today."""

    card: HouseholdCard
    household: Household
    collectors: list[Collector]
    parcels: list[CardParcel] = field(default_factory=list)


def _delivered_today(parcel: Parcel, now: datetime) -> bool:
    moment = as_utc(parcel.delivered_at)
    if moment is None:
        return False
    zone_name = time_zones.zone_of(parcel.round.warehouse)
    return time_zones.in_zone(moment, zone_name).date() == time_zones.in_zone(now, zone_name).date()


def lookup_card(session: Session, text: str, *, now: datetime | None = None) -> CardLookup:
    """What a site finds from a household's card (its token, URL or short code): the
    household, its active collectors, and its parcels in open rounds that are still owed
    (not cancelled, not returned, not delivered), with the actions their state allows,
    plus those delivered today (so the station can say "already collected"). NotFound
    for a card nobody holds; Conflict naming the date for a replaced card."""
    now = now or utcnow()
    card = cards.require_card(session, text)
    refusal = cards.card_refusal(card)
    if refusal is not None:
        raise Conflict(refusal, field="card")
    household = card.household
    parcels = session.scalars(
        select(Parcel)
        .join(Round, Round.id == Parcel.round_id)
        .where(
            Parcel.household_id == household.id,
            Round.status == RoundStatus.OPEN,
            Parcel.status.not_in(_GONE),
        )
        .options(selectinload(Parcel.round).selectinload(Round.warehouse))
        .order_by(Parcel.id)
    )
    found = CardLookup(card=card, household=household, collectors=list(household.collectors))
    for parcel in parcels:
        if parcel.status == ParcelStatus.DELIVERED and not _delivered_today(parcel, now):
            continue
        found.parcels.append(CardParcel(parcel, scans.allowed_actions(parcel)))
    return found


# -- the site's day, kept on a phone -------------------------------------------------------


def site_day(
    session: Session, site: DistributionSite, *, now: datetime | None = None
) -> dict[str, Any]:
    """What a phone keeps to work a site's day offline: each household of the site with
    its card's hashes (never the token nor the short code), its collectors (id, name,
    relation: never a NIK or phone) and its parcels on the site's manifests."""
    now = now or utcnow()
    parcels = list(
        session.scalars(
            select(Parcel)
            .join(Manifest, Manifest.id == Parcel.manifest_id)
            .where(
                Manifest.site_id == site.id,
                Manifest.status == ManifestStatus.DISPATCHED,
                Parcel.status.not_in(_GONE),
            )
            .options(selectinload(Parcel.household), selectinload(Parcel.round))
            .order_by(Parcel.id)
            .limit(MAX_PARCELS * 5)
        )
    )
    household_ids = sorted({p.household_id for p in parcels})
    card_of = {
        c.household_id: c
        for c in session.scalars(
            select(HouseholdCard).where(
                HouseholdCard.household_id.in_(household_ids), HouseholdCard.replaced_at.is_(None)
            )
        )
    }
    collectors: dict[int, list[Collector]] = defaultdict(list)
    for collector in session.scalars(
        select(Collector)
        .where(Collector.household_id.in_(household_ids), Collector.active)
        .order_by(Collector.id)
    ):
        collectors[collector.household_id].append(collector)
    by_household: dict[int, dict[str, Any]] = {}
    for parcel in parcels:
        household = parcel.household
        entry = by_household.get(household.id)
        if entry is None:
            card = card_of.get(household.id)
            entry = by_household[household.id] = {
                "code": household.code,
                "head_name": household.head_name,
                "village": household.village,
                "card_hash": cards.token_hash(card.token) if card else None,
                "short_hash": short_code_hash(card.short_code) if card else None,
                "collectors": [
                    {"id": c.id, "name": c.name, "relation": c.relation}
                    for c in collectors[household.id]
                ],
                "parcels": [],
            }
        entry["parcels"].append(
            {
                "code": parcel_codes.format_short_code(parcel.short_code),
                "token": parcel.token,
                "short_code": parcel.short_code,
                "status": parcel.status,
                "kits": parcel.kits,
                "round": parcel.round.name,
                "verification": parcel.round.verification,
                "delivered_today": parcel.status == ParcelStatus.DELIVERED
                and _delivered_today(parcel, now),
            }
        )
    count = site_count(session, site, now)
    return {
        "site": {"id": site.id, "name": site.name, "place": place_name(site)},
        "day": count.day.isoformat(),
        "served": count.served,
        "expected": count.expected,
        "households": list(by_household.values()),
    }


__all__ = [
    "CardLookup",
    "CardParcel",
    "SiteCount",
    "create_site",
    "create_site_manifest",
    "end_site_day",
    "get_site",
    "lives_at",
    "local_day",
    "lookup_card",
    "place_name",
    "round_sites",
    "short_code_hash",
    "site_count",
    "site_day",
    "site_manifests",
    "sites_today",
    "update_site",
]
