"""Registering migrant workers' households: clean values, one household per NIK.

`clean_household` turns what a form, the API or a spreadsheet row says into stored
values, and lists every value it cannot accept (a spreadsheet's bad row lists all of
its problems at once). `register_household` adds the duplicate guard: the NIK is unique
(also in the database), and a household whose name, village and phone look like one
already registered needs the officer's confirmation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache, wraps
from typing import Any, TypeVar

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from kitlog.models import (
    HOUSEHOLD_STATUSES,
    VULNERABILITIES,
    Household,
    HouseholdStatus,
    Parcel,
    Relation,
    User,
)
from kitlog.models.base import utcnow
from kitlog.models.households import MAX_MEMBERS, MAX_NAME, MAX_PLACE, MAX_PROVINCE, RELATIONS
from kitlog.services import places
from kitlog.services.errors import (
    Duplicate,
    FieldError,
    InvalidValue,
    InvalidValues,
    NotFound,
    PossibleDuplicate,
)
from kitlog.services.fields import spec, specs
from kitlog.services.sequences import next_numbers
from kitlog.text import cell_text as _text
from kitlog.text import squeeze, storable

# Indonesia's 38 provinces with their Kemendagri codes (the first two digits of a NIK),
# as the shipped list of official places names them.
PROVINCES: tuple[tuple[str, str], ...] = places.PROVINCES
PROVINCE_NAMES = tuple(name for _code, name in PROVINCES)
PROVINCE_CODES = {code: name for code, name in PROVINCES}
PROVINCE_CODE_OF = {name: code for code, name in PROVINCES}

# Relation words in English and Indonesian, keyed like _key() below.
_RELATION_WORDS = {
    Relation.SELF: ("self", "dirisendiri", "sendiri", "kepalakeluarga", "kepalarumahtangga"),
    Relation.SPOUSE: ("spouse", "husband", "wife", "suami", "istri", "isteri", "pasangan"),
    Relation.CHILD: ("child", "son", "daughter", "anak", "anakkandung"),
    Relation.PARENT: ("parent", "father", "mother", "orangtua", "ayah", "ibu", "bapak"),
    Relation.SIBLING: ("sibling", "brother", "sister", "saudara", "kakak", "adik"),
    Relation.OTHER: ("other", "lainnya", "lain", "lainlain", "famili", "kerabat"),
}
RELATION_OF = {word: relation for relation, words in _RELATION_WORDS.items() for word in words}

_VULNERABILITY_WORDS = {
    "elderly": ("elderly", "lansia", "lanjutusia"),
    "disability": ("disability", "disabilitas", "difabel", "penyandangdisabilitas"),
    "pregnant": ("pregnant", "hamil", "ibuhamil"),
    "under5": ("under5", "balita", "under5s", "anakbalita"),
}
VULNERABILITY_OF = {w: name for name, words in _VULNERABILITY_WORDS.items() for w in words}

TRUE_WORDS = ("yes", "ya", "true", "1", "y")
FALSE_WORDS = ("no", "tidak", "false", "0", "n", "tdk", "")

CODE_PREFIX = "HH-"
COUNTER = "household"

_NOT_KEY = re.compile(r"[^a-z0-9]")


def _key(value: str) -> str:
    """Lower case, letters and digits only: how aliases and words are looked up."""
    return _NOT_KEY.sub("", value.lower())


def name_key(name: str) -> str:
    """A head of household's name as the duplicate guard compares it."""
    lowered = name.lower()
    if lowered.isascii() and lowered.replace(" ", "").isalnum():
        return " ".join(lowered.split())  # the common case: nothing to decompose or drop
    decomposed = unicodedata.normalize("NFKD", lowered)
    letters = "".join(ch for ch in decomposed if ch.isalnum() or ch.isspace())
    return " ".join(letters.split())


# -- one field at a time; each returns the clean value or raises ValueError(message) ------


_T = TypeVar("_T")


def _same_words(cleaner: Callable[[object], _T]) -> Callable[[object], _T]:
    """A cleaner that remembers what it made of each text: a spreadsheet repeats the same
    provinces, places and words thousands of times. Only text is remembered (1, 1.0 and
    True are equal keys), and a refused value is refused afresh each time."""
    remembered = lru_cache(maxsize=8192)(cleaner)

    @wraps(cleaner)
    def clean(value: object) -> _T:
        return remembered(value) if type(value) is str else cleaner(value)

    return clean


class _Bad(Exception):
    def __init__(self, message: str | LazyString):
        super().__init__(str(message))
        self.message = message


# What the cleaners below raise, for the services that reuse them (a collector's name, NIK
# and phone are cleaned as a head of household's).
BadValue = _Bad


def clean_person_name(value: object, *, required: bool = True) -> str:
    text = squeeze(_text(value))
    if not text:
        if required:
            raise _Bad(_l("Enter a name."))
        return ""
    if len(text) > MAX_NAME:
        raise _Bad(_l("Keep this under %(n)s characters.", n=MAX_NAME))
    if not storable(text, one_line=True):
        raise _Bad(_l("Contains characters that are not allowed."))
    if not any(ch.isalpha() for ch in text):
        raise _Bad(_l("A name needs letters."))
    return text


_NIK_SEPARATORS = re.compile(r"[\s.\-]")


def clean_nik(value: object) -> str:
    """16 digits: province, regency, district, birth date (day + 40 for women), serial."""
    if isinstance(value, float):
        # A spreadsheet that stores the NIK as a number keeps only 15 significant digits.
        raise _Bad(_l("Store the NIK as text: a spreadsheet number loses its last digits."))
    nik = _text(value)
    if not (len(nik) == 16 and nik.isdigit()):  # 16 digits hold nothing to take out
        nik = _NIK_SEPARATORS.sub("", nik)
    if not nik:
        raise _Bad(_l("Enter the NIK (16 digits)."))
    if not nik.isascii() or not nik.isdigit() or len(nik) != 16:
        raise _Bad(_l("A NIK has exactly 16 digits."))
    if nik[:2] not in PROVINCE_CODES:
        raise _Bad(_l("A NIK begins with a province code; %(code)s is not one.", code=nik[:2]))
    if nik[2:4] == "00" or nik[4:6] == "00":
        raise _Bad(_l("Digits 3 to 6 of a NIK are a regency and district code, never 00."))
    if not places.nik_area_known(nik):
        raise _Bad(
            _l(
                "Digits 1 to 6 of a NIK are an official regency and district code;"
                " %(code)s is not one.",
                code=f"{nik[:2]}.{nik[2:4]}.{nik[4:6]}",
            )
        )
    day, month = int(nik[6:8]), int(nik[8:10])
    if not (1 <= day <= 31 or 41 <= day <= 71) or not 1 <= month <= 12:
        raise _Bad(_l("Digits 7 to 12 of a NIK are a birth date; these are not."))
    if nik[12:] == "0000":
        raise _Bad(_l("The last four digits of a NIK are never 0000."))
    return nik


def clean_phone(value: object) -> str:
    """An Indonesian number written 08…, +62… or 62…, stored as +62…; empty is allowed."""
    raw = _text(value).strip()
    if not raw:
        return ""
    digits = re.sub(r"[\s.\-()/]", "", raw)
    if digits.startswith("+62"):
        national = digits[3:]
    elif digits.startswith("62"):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    elif digits.startswith("8"):  # a spreadsheet number dropped the leading 0
        national = digits
    else:
        raise _Bad(_l("Enter an Indonesian phone number: 08…, +62… or 62…."))
    if not national.isascii() or not national.isdigit() or not 8 <= len(national) <= 12:
        raise _Bad(_l("Enter an Indonesian phone number: 08…, +62… or 62…."))
    if national[0] == "0":
        raise _Bad(_l("Enter an Indonesian phone number: 08…, +62… or 62…."))
    return "+62" + national


@_same_words
def clean_province(value: object) -> str:
    """One of the 38 provinces, by name, short name or code: 'Jatim', '35' → 'Jawa Timur'."""
    text = squeeze(_text(value))
    if not text:
        raise _Bad(_l("Choose the province."))
    province = places.province_named(text)
    if province is None:
        raise _Bad(_l("%(value)s is not one of Indonesia's 38 provinces.", value=text[:60]))
    return province


@_same_words
def clean_relation(value: object) -> str:
    text = _text(value)
    if not text.strip():
        raise _Bad(_l("Say how the migrant worker is related to the head of household."))
    relation = RELATION_OF.get(_key(text))
    if relation is None:
        raise _Bad(
            _l(
                "%(value)s is not a relation kitlog knows; use self, spouse, child, parent,"
                " sibling or other.",
                value=text.strip()[:40],
            )
        )
    return relation.value


def clean_members(value: object) -> int:
    if isinstance(value, bool):
        raise _Bad(_l("Enter the number of people in the household."))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        value = value.strip()
        if not value.isascii() or not value.isdigit():
            raise _Bad(_l("Enter the number of people in the household."))
        value = int(value)
    if not isinstance(value, int):
        raise _Bad(_l("Enter the number of people in the household."))
    if not 1 <= value <= MAX_MEMBERS:
        raise _Bad(_l("A household has from 1 to %(n)s members.", n=MAX_MEMBERS))
    return value


def clean_vulnerabilities(value: object) -> list[str]:
    """A list, or one spreadsheet cell separated by `;` (commas are accepted too)."""
    if value is None:
        return []
    if isinstance(value, str):
        return list(_vulnerabilities_in(value))
    if not isinstance(value, list | tuple):
        raise _Bad(_l("List the vulnerabilities."))
    return _vulnerability_names(value)


@lru_cache(maxsize=1024)  # a spreadsheet repeats the same few cells
def _vulnerabilities_in(cell: str) -> tuple[str, ...]:
    return tuple(_vulnerability_names(re.split(r"[;,]", cell)))


def _vulnerability_names(words: Iterable[object]) -> list[str]:
    found: list[str] = []
    for word in words:
        if not isinstance(word, str):
            raise _Bad(_l("List the vulnerabilities."))
        if not word.strip():
            continue
        name = VULNERABILITY_OF.get(_key(word))
        if name is None:
            raise _Bad(
                _l(
                    "%(value)s is not a vulnerability kitlog records; use elderly,"
                    " disability, pregnant or under5.",
                    value=word.strip()[:40],
                )
            )
        if name not in found:
            found.append(name)
    return [name for name in VULNERABILITIES if name in found]


def clean_consent(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise _Bad(_l("Answer yes or no."))


def clean_consent_date(value: object, *, consent: bool, today: date) -> date | None:
    if not consent:
        return None
    if value in (None, ""):
        return today
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise _Bad(_l("Write the date as YYYY-MM-DD.")) from None
    if not isinstance(value, date):
        raise _Bad(_l("Write the date as YYYY-MM-DD."))
    if value > today:
        raise _Bad(_l("Consent cannot be given in the future."))
    if value < date(2000, 1, 1):
        raise _Bad(_l("Write the date as YYYY-MM-DD."))
    return value


def clean_status(value: object) -> str:
    if value is None:
        return HouseholdStatus.ACTIVE.value
    text = _text(value).strip().lower() or HouseholdStatus.ACTIVE.value
    if text not in HOUSEHOLD_STATUSES:
        raise _Bad(_l("The status is active or inactive."))
    return text


def _clean_consent_date(value: object, clean: Mapping[str, object], today: date) -> date | None:
    return clean_consent_date(value, consent=bool(clean["consent"]), today=today)


def _name_columns(head_name: str) -> dict[str, str]:
    return {"head_name": head_name, "name_key": name_key(head_name)}


def _vulnerability_columns(vulnerabilities: list[str]) -> dict[str, bool]:
    return {name: name in vulnerabilities for name in VULNERABILITIES}


# The cleaner of the address's fields: they are cleaned together, each name under the
# one before it, into official places (`places.resolve`).
ADDRESS: Any = object()
ADDRESS_FIELDS = ("province", "regency", "district", "village", "village_code")


def _place(
    label: LazyString, tag: str, example: str, hint: LazyString, *, max_length: int = MAX_PLACE
) -> Any:
    """One of the address's names: an official place's name, found under the one before."""
    return spec(
        label=label,
        clean=ADDRESS,
        max_length=max_length,
        tag=tag,
        example=example,
        hint=hint,
        required=False,
    )


def _code_columns(village_code: str) -> dict[str, str]:
    """The village's code and its parents' codes, each in its column."""
    parts = village_code.split(".")
    return {f"{level}_code": ".".join(parts[: i + 1]) for i, level in enumerate(places.LEVELS)}


@dataclass
class HouseholdValues:
    """A household's values, cleaned and ready to store: the one list of a household's
    fields, in the order of a spreadsheet's columns and of the personal-data export."""

    head_name: str = spec(
        label=_l("Head of household"),
        clean=clean_person_name,
        max_length=MAX_NAME,
        columns=_name_columns,
        tag="#contact+name+head",
        example="Siti Rahayu",
        hint=_l("The head of household's full name."),
    )
    worker_name: str = spec(
        label=_l("Migrant worker"),
        clean=clean_person_name,
        max_length=MAX_NAME,
        tag="#contact+name+worker",
        example="Agus Santoso",
        hint=_l("The migrant worker's full name."),
    )
    worker_relation: str = spec(
        label=_l("Relation"),
        clean=clean_relation,
        tag="#contact+relation",
        example="spouse",
        hint=_l(
            "How the migrant worker is related to the head of household: %(words)s.",
            words=", ".join(RELATIONS),
        ),
    )
    nik: str = spec(
        label=_l("NIK"),
        clean=clean_nik,
        tag="#contact+id+nik",
        text_column=True,
        example="3507124501850001",
        hint=_l(
            "The head of household's NIK: 16 digits. Keep this column formatted as"
            " Text, or Excel changes the last digits."
        ),
    )
    phone: str = spec(
        label=_l("Phone"),
        clean=clean_phone,
        tag="#contact+phone",
        required=False,
        text_column=True,
        example="081234567890",
        hint=_l("An Indonesian phone number: 08…, +62… or 62…. Keep it as Text."),
    )
    province: str = _place(
        _l("Province"),
        "#adm1+name",
        "Jawa Timur",
        _l("One of the provinces listed below."),
        max_length=MAX_PROVINCE,
    )
    regency: str = _place(
        _l("Regency / city"),
        "#adm2+name",
        "Kabupaten Malang",
        _l("The regency or city (kabupaten/kota), as in the official list of places."),
    )
    district: str = _place(_l("District"), "#adm3+name", "Turen", _l("The district (kecamatan)."))
    village: str = _place(
        _l("Village"),
        "#adm4+name",
        "Sedayu",
        _l("The village (desa/kelurahan)."),
    )
    village_code: str = spec(
        label=_l("Village code"),
        clean=ADDRESS,
        columns=_code_columns,
        tag="#adm4+code",
        required=False,
        text_column=True,
        example="35.07.09.1008",
        hint=_l(
            "The village's official Kemendagri code (10 digits, with or without dots). Given,"
            " it names the province, regency, district and village, whose columns may stay"
            " empty."
        ),
    )
    members: int = spec(
        label=_l("Members"),
        clean=clean_members,
        tag="#reached+ind",
        example=4,
        hint=_l("People in the household: 1 to 50."),
    )
    vulnerabilities: list[str] = spec(
        label=_l("Vulnerabilities"),
        clean=clean_vulnerabilities,
        columns=_vulnerability_columns,
        tag="#indicator+vulnerability",
        required=False,
        example="elderly;under5",
        hint=_l(
            "Any of %(words)s, separated by ; (for example elderly;under5).",
            words=", ".join(VULNERABILITIES),
        ),
    )
    consent: bool = spec(
        label=_l("Consent"),
        clean=clean_consent,
        tag="#indicator+consent",
        example="yes",
        hint=_l("Consent to the use of the data: yes or no (ya or tidak)."),
    )
    consent_date: date | None = spec(
        label=_l("Consent date"),
        clean=_clean_consent_date,
        needs=("consent",),
        tag="#date+consent",
        required=False,
        example="2020-12-07",
        hint=_l("When consent was given, as YYYY-MM-DD. Empty: the day of the import."),
    )
    status: str = spec(
        default=HouseholdStatus.ACTIVE.value,
        label=_l("Status"),
        clean=clean_status,
        tag="#status",
        import_column=False,
    )

    def columns(self) -> dict[str, object]:
        """The values as Household columns."""
        return _columns(self.__dict__)


HOUSEHOLD_FIELDS = specs(HouseholdValues)
# The columns of a spreadsheet import, in order: a column's header is its field's name.
IMPORT_FIELDS = tuple((name, field) for name, field in HOUSEHOLD_FIELDS if field.import_column)
FIELDS = tuple(name for name, _field in IMPORT_FIELDS)

# (field, cleaner, the fields it needs or None), in the order errors are listed; the
# address (None) is cleaned where its first field is.
_CLEANERS = tuple(
    (name, field.clean, field.needs) if field.clean is not ADDRESS else (name, None, None)
    for name, field in HOUSEHOLD_FIELDS
    if field.clean is not ADDRESS or name == ADDRESS_FIELDS[0]
)
assert all(  # noqa: S101 - every field is cleaned
    field.clean is not None and (field.clean is ADDRESS) == (name in ADDRESS_FIELDS)
    for name, field in HOUSEHOLD_FIELDS
)
# (field, None when stored as one column of its name, else how it is stored)
_STORED = tuple((name, field.columns) for name, field in HOUSEHOLD_FIELDS)


def _columns(clean: Mapping[str, object]) -> dict[str, object]:
    columns: dict[str, object] = {}
    for name, store in _STORED:
        if store is None:
            columns[name] = clean[name]
        else:
            columns.update(store(clean[name]))
    return columns


def _clean(raw: Mapping[str, object], today: date, row: int | None) -> dict[str, Any]:
    """The clean values by field; raises InvalidValues listing every bad one, in the
    order of the fields (a spreadsheet cleans tens of thousands of rows: one loop).
    Each value has its field's type in HouseholdValues, which only the cleaner knows."""
    errors: list[FieldError] = []
    clean: dict[str, Any] = {}
    get = raw.get
    for name, cleaner, needs in _CLEANERS:
        if cleaner is None:
            _clean_address(raw, clean, errors, row)
            continue
        try:
            if needs is None:
                clean[name] = cleaner(get(name))
            elif all(need in clean for need in needs):
                clean[name] = cleaner(get(name), clean, today)
        except _Bad as bad:
            errors.append(FieldError(name, bad.message, row))
    if errors:
        raise InvalidValues(errors)
    return clean


def _clean_address(
    raw: Mapping[str, object], clean: dict[str, Any], errors: list[FieldError], row: int | None
) -> None:
    """The official places the address names (`village_code`, or the four names)."""
    try:
        address = _resolve_address(*(_text(raw.get(name)) for name in ADDRESS_FIELDS))
    except InvalidValues as bad:
        for error in bad.errors:
            error.row = row
            errors.append(error)
        return
    columns = address.columns()
    for level in places.LEVELS:
        clean[level] = columns[level]
    clean["village_code"] = address.code


@lru_cache(maxsize=8192)  # a spreadsheet names the same villages thousands of times
def _resolve_address(*values: str) -> places.Address:
    address = places.resolve(dict(zip(ADDRESS_FIELDS, values, strict=True)))
    assert address is not None  # noqa: S101 - a village is required
    return address


def clean_household(
    raw: Mapping[str, object], *, today: date, row: int | None = None
) -> HouseholdValues:
    """Every value checked and normalised; raises InvalidValues listing every bad one."""
    return HouseholdValues(**_clean(raw, today, row))


def clean_household_columns(
    raw: Mapping[str, object], *, today: date, row: int | None = None
) -> dict[str, object]:
    """`clean_household(...).columns()` without the object in between (an import cleans
    every row of a file)."""
    return _columns(_clean(raw, today, row))


# -- the registry ------------------------------------------------------------------------


def household_codes(session: Session, count: int) -> list[str]:
    """New household codes (HH-000001, …) from the database's counter."""
    return [f"{CODE_PREFIX}{n:06d}" for n in next_numbers(session, COUNTER, count)]


def nik_owner(session: Session, nik: str, *, exclude_id: int | None = None) -> Household | None:
    query = select(Household).where(Household.nik == nik)
    if exclude_id is not None:
        query = query.where(Household.id != exclude_id)
    return session.scalars(query).first()


def possible_duplicates(
    session: Session, values: HouseholdValues, *, exclude_id: int | None = None
) -> list[Household]:
    """Registered households that share two of: the head's name, the village, the phone."""
    key = name_key(values.head_name)
    conditions = [Household.name_key == key]
    if values.phone:
        conditions.append(Household.phone == values.phone)
    query = select(Household).where(or_(*conditions))
    if exclude_id is not None:
        query = query.where(Household.id != exclude_id)
    found: list[Household] = []
    for other in session.scalars(query.order_by(Household.id).limit(200)):
        same_place = other.village_code == values.village_code
        same_name = other.name_key == key
        same_phone = bool(values.phone) and other.phone == values.phone
        if same_place + same_name + same_phone >= 2:
            found.append(other)
    return found[:10]


def _refuse_duplicates(
    session: Session, values: HouseholdValues, *, confirm: bool, exclude_id: int | None = None
) -> None:
    owner = nik_owner(session, values.nik, exclude_id=exclude_id)
    if owner is not None:
        raise Duplicate(
            _l("A household with this NIK is already registered: %(code)s.", code=owner.code),
            field="nik",
            existing=owner.code,
        )
    if confirm:
        return
    lookalikes = possible_duplicates(session, values, exclude_id=exclude_id)
    if lookalikes:
        raise PossibleDuplicate(
            _l(
                "This looks like a household already registered (%(codes)s): the same name,"
                " village or phone. Check it; if it is a different household, confirm.",
                codes=", ".join(h.code for h in lookalikes),
            ),
            codes=[h.code for h in lookalikes],
            field="head_name",
        )


def _checked_values(
    session: Session,
    raw: Mapping[str, object],
    *,
    confirm: bool,
    today: date,
    exclude_id: int | None = None,
) -> HouseholdValues:
    """What a household would store, cleaned, once no other household has its NIK and
    a look-alike is confirmed."""
    values = clean_household(raw, today=today)
    _refuse_duplicates(session, values, confirm=confirm, exclude_id=exclude_id)
    return values


def register_household(
    session: Session,
    raw: Mapping[str, object],
    *,
    user: User | None,
    confirm_duplicate: bool = False,
    now: datetime | None = None,
    today: date | None = None,
) -> Household:
    """Register one household; its NIK must be new, and a look-alike needs confirming."""
    now = now or utcnow()
    values = _checked_values(session, raw, confirm=confirm_duplicate, today=today or now.date())
    household = Household(
        code=household_codes(session, 1)[0],
        created_by=user,
        created_at=now,
        updated_at=now,
        **values.columns(),
    )
    session.add(household)
    session.flush()
    return household


def update_household(
    session: Session,
    household: Household,
    raw: Mapping[str, object],
    *,
    user: User | None,
    confirm_duplicate: bool = False,
    now: datetime | None = None,
    today: date | None = None,
) -> Household:
    """Correct a household's values; the NIK stays unique and the code never changes."""
    now = now or utcnow()
    values = _checked_values(
        session, raw, confirm=confirm_duplicate, today=today or now.date(), exclude_id=household.id
    )
    for column, value in values.columns().items():
        setattr(household, column, value)
    household.updated_at = now
    session.flush()
    return household


def household_values(household: Household) -> dict[str, object]:
    """A household's values in the form `clean_household` reads (to edit it)."""
    return {name: getattr(household, name) for name, _field in HOUSEHOLD_FIELDS}


def changed_values(household: Household, changes: Mapping[str, object]) -> dict[str, object]:
    """The household's values with `changes` made (a partial update). A new village code
    replaces the old names; a new name, the old code (the names are matched again)."""
    values = household_values(household)
    if "village_code" in changes:
        for name in places.LEVELS:
            values.pop(name, None)
    elif any(name in changes for name in places.LEVELS):
        values.pop("village_code", None)
    return {**values, **changes}


# -- finding households ------------------------------------------------------------------

_CODE_RE = re.compile(r"HH-?[0-9]{1,9}\Z", re.IGNORECASE)


def _code_of(text: str) -> str | None:
    """`HH-000001`, `hh-1` or `HH1` as the stored code, or None when it is not a code."""
    if not _CODE_RE.match(text):
        return None
    digits = text.upper().removeprefix("HH").removeprefix("-")
    return f"{CODE_PREFIX}{int(digits):06d}"


def _whole_nik(text: str) -> str | None:
    """The 16 digits of a NIK written with or without spaces, dots or dashes, or None."""
    digits = re.sub(r"[\s.\-]", "", text)
    if digits.isascii() and digits.isdigit() and len(digits) == 16:
        return digits
    return None


def search_kind(q: str) -> str:
    """What a search box holds, as `households_query` reads it: "code", "nik", "text",
    or "" for nothing."""
    text = squeeze(q or "")
    if not text:
        return ""
    if _code_of(text) is not None:
        return "code"
    if _whole_nik(text) is not None:
        return "nik"
    return "text"


def households_query(
    q: str = "",
    *,
    province: str | None = None,
    regency: str | None = None,
    status: str | None = None,
) -> Select[Household]:
    """Households matching a search box, newest first.

    A household code or a whole 16-digit NIK finds exactly that household; any other
    text is looked for, ignoring case, in the head's and the worker's names and the
    village. `province` may be a name, an alias (Jatim) or a code; an unknown one is
    refused (InvalidValue naming `province`) rather than silently finding nothing.
    """
    query = select(Household)
    text = squeeze(q or "")
    if text:
        code = _code_of(text)
        nik = _whole_nik(text)
        if code is not None:
            query = query.where(Household.code == code)
        elif nik is not None:
            query = query.where(Household.nik == nik)
        else:
            needle = text.lower()
            query = query.where(
                or_(
                    func.lower(Household.head_name).contains(needle, autoescape=True),
                    func.lower(Household.worker_name).contains(needle, autoescape=True),
                    func.lower(Household.village).contains(needle, autoescape=True),
                )
            )
    province_code = None
    if province:
        try:
            province_code = PROVINCE_CODE_OF[clean_province(province)]
        except _Bad as bad:
            raise InvalidValue(bad.message, field="province") from None
        query = query.where(Household.province_code == province_code)
    if regency and regency.strip():
        query = query.where(Household.regency_code.in_(_regency_codes(regency, province_code)))
    if status:
        query = query.where(Household.status == status)
    return query.order_by(Household.id.desc())


def _regency_codes(regency: str, province_code: str | None) -> list[str]:
    """The regencies `regency` (a name or a code) may mean, in the province if given:
    'Malang' alone finds both Kabupaten and Kota Malang. None: InvalidValue."""
    gazetteer = places.gazetteer()
    code = places.normalise_code(regency)
    if code is not None:
        found = [p for p in [gazetteer.get(code)] if p is not None and p.level == "regency"]
    else:
        provinces = [province_code] if province_code else [code for code, _name in PROVINCES]
        found = [p for prov in provinces for p in gazetteer.named("regency", regency, prov)]
    if not found:
        raise InvalidValue(
            _l("%(value)s is not a regency or city kitlog knows.", value=squeeze(regency)[:60]),
            field="regency",
        )
    return [p.code for p in found]


def get_household(session: Session, code: str) -> Household:
    """The household with this code (any case), or NotFound."""
    found = None
    if isinstance(code, str):
        stored = _code_of(code.strip())
        if stored is not None:
            found = session.scalar(select(Household).where(Household.code == stored))
    if found is None:
        raise NotFound(_l("There is no household with the code %(code)s.", code=code), field="code")
    return found


def households_by_code(session: Session, codes: list[str]) -> list[Household]:
    """The households with these codes, in the order given (the look-alikes to show)."""
    if not codes:
        return []
    found = {h.code: h for h in session.scalars(select(Household).where(Household.code.in_(codes)))}
    return [found[code] for code in codes if code in found]


def household_parcels(session: Session, household: Household) -> list[Parcel]:
    """Every parcel the household was allocated, in every round, newest first."""
    query = (
        select(Parcel)
        .where(Parcel.household_id == household.id)
        .options(selectinload(Parcel.round), selectinload(Parcel.events))
        .order_by(Parcel.created_at.desc(), Parcel.id.desc())
    )
    return list(session.scalars(query))


def parcel_last_change(parcel: Parcel) -> datetime:
    """When the parcel's status last changed (its last event, else its creation)."""
    if parcel.events:
        return parcel.events[-1].created_at
    return parcel.updated_at or parcel.created_at
