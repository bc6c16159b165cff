"""Time zones: each warehouse works in the zone of its province, unless it says otherwise.

Indonesia has three: WIB (UTC+7: Sumatra, Java, West and Central Kalimantan), WITA
(UTC+8: Bali, Nusa Tenggara, South, East and North Kalimantan, Sulawesi) and WIT (UTC+9:
Maluku and Papua). A manifest, a scan or a delivery is shown in the zone of the warehouse
whose work it is, with the zone's abbreviation, so that a time read in Mataram is Mataram's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import format_date, format_datetime, get_locale, get_timezone
from flask_babel import lazy_gettext as _l

from kitlog.models import Warehouse
from kitlog.models.base import as_utc
from kitlog.models.reference import MAX_TIMEZONE
from kitlog.services.errors import InvalidValue
from kitlog.services.places import PROVINCES, province_named

WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"

# The zone of each province, by its Kemendagri code.
_WITA_PROVINCES = ("51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76")
_WIT_PROVINCES = ("81", "82", "91", "92", "93", "94", "95", "96")
PROVINCE_ZONES: dict[str, str] = {
    code: WITA if code in _WITA_PROVINCES else WIT if code in _WIT_PROVINCES else WIB
    for code, _name in PROVINCES
}
_PROVINCE_CODE_OF = {name: code for code, name in PROVINCES}

# Indonesia's zones as people there write them; Pontianak keeps its own IANA name (WIB).
ABBREVIATIONS: dict[str, str] = {
    WIB: "WIB",
    "Asia/Pontianak": "WIB",
    WITA: "WITA",
    "Asia/Ujung_Pandang": "WITA",
    WIT: "WIT",
}
# The zones the warehouse form suggests.
SUGGESTED = (WIB, WITA, WIT)

# English is written day first, as Indonesian is and as the aid sector writes it: 7 Dec
# 2026, never the US 12/7/26 or "December 7, 2026", which a reader in Indonesia takes for
# the 12th of July. Indonesian keeps its own formats (7 Des 2026).
ENGLISH_PATTERNS: dict[str, dict[str, str]] = {
    "date": {"short": "d MMM y", "medium": "d MMM y", "long": "d MMMM y", "full": "EEEE d MMMM y"},
    "datetime": {
        "short": "d MMM y, HH:mm",
        "medium": "d MMM y, HH:mm",
        "long": "d MMMM y, HH:mm",
        "full": "EEEE d MMMM y, HH:mm",
    },
}


def province_zone(province: str | None) -> str | None:
    """The zone of a province, by its code ('52') or written as a person would ('NTB',
    'Provinsi Bali'), or None when it names none of Indonesia's provinces."""
    text = (province or "").strip()
    if text in PROVINCE_ZONES:
        return PROVINCE_ZONES[text]
    name = province_named(text) if text else None
    return PROVINCE_ZONES[_PROVINCE_CODE_OF[name]] if name else None


@lru_cache(maxsize=64)
def zone_info(zone: str) -> ZoneInfo:
    return ZoneInfo(zone)


def clean_timezone(value: str | None, *, province: str | None, default: str) -> str:
    """The zone a warehouse works in: the one given (an IANA name such as Asia/Makassar),
    or, when none is, its province's (`province`: its code, '52', or its name), or
    `default` (the deployment's) for a province outside Indonesia's list."""
    text = (value or "").strip()
    if not text:
        return province_zone(province) or default
    if len(text) <= MAX_TIMEZONE and "." not in text and not text.startswith("/"):
        for known in (text, text.replace(" ", "_")):
            try:
                zone_info(known)
            except (ZoneInfoNotFoundError, ValueError):
                continue
            return known
    raise InvalidValue(
        _l(
            "%(value)s is not a time zone. Write it as Asia/Jakarta (WIB), Asia/Makassar "
            "(WITA) or Asia/Jayapura (WIT), or leave it empty to use the province's.",
            value=text[:60],
        ),
        field="timezone",
    )


def abbreviation(zone: str, moment: datetime | None = None) -> str:
    """WIB, WITA or WIT; for a zone outside Indonesia, its offset from UTC (UTC+10)."""
    if zone in ABBREVIATIONS:
        return ABBREVIATIONS[zone]
    offset = (moment or datetime.now(UTC)).astimezone(zone_info(zone)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def deployment_zone() -> str:
    """The zone of work bound to no warehouse (KITLOG_TIMEZONE)."""
    return str(get_timezone() or WIB)


def zone_of(place: Warehouse | str | None) -> str:
    """The zone a warehouse works in, a zone given by name, or the deployment's: also
    when the stored name is not a zone (written around the form), so a page still shows."""
    zone = place.timezone if isinstance(place, Warehouse) else place
    if not zone:
        return deployment_zone()
    try:
        zone_info(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return deployment_zone()
    return zone


def in_zone(moment: datetime, zone: str) -> datetime:
    """A stored moment (UTC; SQLite keeps no offset) as the clock in `zone` shows it."""
    return as_utc(moment).astimezone(zone_info(zone))


def zone_label(zone: str) -> str:
    """A zone as the warehouse list shows it: 'Asia/Makassar (WITA)'; a stored name that
    is no zone, as it is."""
    try:
        return f"{zone} ({abbreviation(zone)})"
    except (ZoneInfoNotFoundError, ValueError):
        return zone


def pattern(kind: str, format: str) -> str:
    """The Babel pattern for a named format ("short", "medium", "long", "full") of a
    `kind` ("date" or "datetime") in the reader's language: English's are spelled out day
    first; any other language, or a pattern given as such ("HH:mm"), is kept."""
    locale = get_locale()
    if locale is not None and locale.language == "en":
        return ENGLISH_PATTERNS[kind].get(format, format)
    return format


def format_day(day: date | datetime, format: str = "medium") -> str:
    """A date in the reader's language, day first in English too: '7 Dec 2026'. Also the
    templates' `dateformat` filter."""
    return str(format_date(day, pattern("date", format)))


def format_moment(moment: datetime, format: str = "medium") -> str:
    """A moment in the deployment's zone and the reader's language: '7 Dec 2026, 14:05'.
    Also the templates' `datetimeformat` filter."""
    return str(format_datetime(moment, pattern("datetime", format)))


def format_local(
    moment: datetime, place: Warehouse | str | None = None, format: str = "short"
) -> str:
    """A moment as the clock of a warehouse (or a zone, or the deployment) shows it, in
    the reader's language, followed by the zone: '7 Des 2026 14.05 WITA'."""
    zone = zone_of(place)
    local = in_zone(moment, zone)
    text = format_datetime(local, pattern("datetime", format), rebase=False)
    return f"{text} {abbreviation(zone, local)}"


__all__ = [
    "ABBREVIATIONS",
    "PROVINCE_ZONES",
    "SUGGESTED",
    "WIB",
    "WIT",
    "WITA",
    "abbreviation",
    "clean_timezone",
    "deployment_zone",
    "format_day",
    "format_local",
    "format_moment",
    "in_zone",
    "province_zone",
    "zone_info",
    "zone_label",
    "zone_of",
]
