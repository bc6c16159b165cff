"""Donors, kit types and warehouses: codes are unique and never reused."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import ORMOption

from kitlog.models import Donor, KitItem, KitType, Warehouse
from kitlog.services import places
from kitlog.services.errors import Duplicate, FieldError, InvalidValue, InvalidValues, NotFound
from kitlog.services.time_zones import WIB, clean_timezone
from kitlog.text import squeeze

CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")

# The reference data known by a code.
Coded = TypeVar("Coded", Donor, KitType, Warehouse)


@dataclass(frozen=True)
class ContentLine:
    item: str
    quantity: int
    unit: str
    item_id: str = ""  # the item in Indonesian, when it has a name there


def clean_code(code: str, field_name: str = "code") -> str:
    """Codes are upper case letters, digits, - and _: they go on labels and in URLs."""
    code = (code or "").strip().upper()
    if not CODE_RE.match(code):
        raise InvalidValue(
            _l("Use 1 to 32 letters, digits, - or _ for the code."), field=field_name
        )
    return code


def _text(value: str, field_name: str, max_len: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidValue(_l("This field is required."), field=field_name)
    if len(value) > max_len:
        raise InvalidValue(_l("Keep this under %(n)s characters.", n=max_len), field=field_name)
    return value


def _unique(session: Session, model: type[Coded], code: str) -> None:
    if session.scalar(select(func.count()).select_from(model).where(model.code == code)):
        raise Duplicate(_l("The code %(code)s is already in use.", code=code), field="code")


def _add(session: Session, obj: Coded) -> Coded:
    """Store a new object once its code is known to be free."""
    _unique(session, type(obj), obj.code)
    session.add(obj)
    session.flush()
    return obj


def _set(obj: object, columns: Mapping[str, object]) -> None:
    for column, value in columns.items():
        setattr(obj, column, value)


def _donor_columns(name: str, country: str) -> dict[str, object]:
    return {
        "name": _text(name, "name", 200),
        "country": _text(country, "country", 100, required=False),
    }


def create_donor(session: Session, *, code: str, name: str, country: str = "") -> Donor:
    """A donor, known by a unique code such as KOICA."""
    code = clean_code(code)
    return _add(session, Donor(code=code, **_donor_columns(name, country)))


def _decimal(value: object, field_name: str, places: int) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidValue(_l("Enter a number."), field=field_name) from None
    if not number.is_finite() or number < 0 or number >= Decimal(10) ** 6:
        raise InvalidValue(_l("Enter a number from 0 to 999,999."), field=field_name)
    return number.quantize(Decimal(1).scaleb(-places))


def _content_items(contents: list[ContentLine]) -> list[KitItem]:
    """A kit holds at least one line, each a named item in whole units from 1 to 100,000,
    numbered from 1 in the order given."""
    if not contents:
        raise InvalidValue(_l("List at least one item in the kit."), field="contents")
    items = []
    for position, line in enumerate(contents, start=1):
        field_name = f"contents.{position - 1}"
        if isinstance(line.quantity, bool) or not isinstance(line.quantity, int):
            raise InvalidValue(_l("Enter a whole number."), field=f"{field_name}.quantity")
        if not 1 <= line.quantity <= 100_000:
            raise InvalidValue(
                _l("Enter a quantity from 1 to 100,000."), field=f"{field_name}.quantity"
            )
        items.append(
            KitItem(
                position=position,
                item=_text(line.item, f"{field_name}.item", 200),
                item_id=_text(line.item_id, f"{field_name}.item_id", 200, required=False),
                quantity=line.quantity,
                unit=_text(line.unit, f"{field_name}.unit", 40),
            )
        )
    return items


def _kit_type_columns(
    name: str, name_id: str, weight_kg: object, volume_m3: object
) -> dict[str, object]:
    return {
        "name": _text(name, "name", 200),
        "name_id": _text(name_id, "name_id", 200, required=False),
        "weight_kg": _decimal(weight_kg, "weight_kg", 3),
        "volume_m3": _decimal(volume_m3, "volume_m3", 4),
    }


def create_kit_type(
    session: Session,
    *,
    code: str,
    name: str,
    weight_kg: object,
    volume_m3: object,
    contents: list[ContentLine],
    name_id: str = "",
) -> KitType:
    """A kit type with its contents and the weight and volume of one kit; `name_id` and
    each line's `item_id` name them in Indonesian (empty: the English name stands in)."""
    code = clean_code(code)
    columns = _kit_type_columns(name, name_id, weight_kg, volume_m3)
    kit_type = KitType(code=code, **columns)
    kit_type.contents.extend(_content_items(contents))
    return _add(session, kit_type)


def warehouse_address(
    *,
    province: str = "",
    regency: str = "",
    district: str = "",
    village: str = "",
    village_code: str = "",
    regency_code: str = "",
) -> places.Address:
    """The official places a warehouse stands in: down to its regency at least, its
    village if known. Given by code (`village_code`, or `regency_code` with the district
    and village named under it) or by names; names given beside a code must agree with it.
    Raises InvalidValues naming each bad field, with suggestions."""
    raw = {"province": province, "regency": regency, "district": district, "village": village}
    village_code = squeeze(village_code or "")
    regency_code = squeeze(regency_code or "")
    if village_code:
        code = places.normalise_code(village_code)
        if code is None or code.count(".") != 3:
            message = _l(
                "%(value)s is not the official code of a village.", value=village_code[:20]
            )
            raise InvalidValues([FieldError("village_code", message)])
        address = _resolve({**raw, "village_code": village_code}, "village_code")
        if regency_code and places.normalise_code(regency_code) != address.places[1].code:
            raise InvalidValues([_not_its(regency_code, address.places[1])])
        return address
    if not regency_code:
        return _resolve(raw, "village_code")
    code = places.normalise_code(regency_code)
    if code is None or code.count(".") != 1:
        message = _l(
            "%(value)s is not the official code of a regency or city.", value=regency_code[:20]
        )
        raise InvalidValues([FieldError("regency_code", message)])
    above = _resolve(
        {"province": province, "regency": regency, "regency_code": code}, "regency_code", "regency"
    )
    if not (district or village):
        return above
    # the district and village are found under the regency the code names
    columns = above.columns()
    return _resolve(
        {**raw, "province": columns["province"], "regency": columns["regency"]}, "village_code"
    )


def _resolve(
    raw: Mapping[str, object], code_field: str, deepest: str = "village"
) -> places.Address:
    address = places.resolve(raw, deepest=deepest, required="regency", code_field=code_field)
    assert address is not None  # noqa: S101 - a regency is required
    return address


def _not_its(regency_code: str, regency: places.Place) -> FieldError:
    message = _l(
        "%(value)s is not the regency of that village: it is in %(regency)s.",
        value=regency_code[:20],
        regency=regency.label,
    )
    return FieldError("regency_code", message)


def _warehouse_columns(
    name: str,
    address: str,
    timezone: str,
    default_timezone: str,
    where: Mapping[str, str],
) -> dict[str, object]:
    """The columns of a warehouse; an empty `timezone` means its province's zone."""
    columns: dict[str, object] = {
        "name": _text(name, "name", 200),
        "address": _text(address, "address", 500, required=False),
    }
    places_of = warehouse_address(**where).columns()
    zone = clean_timezone(timezone, province=places_of["province_code"], default=default_timezone)
    return columns | places_of | {"timezone": zone}


def _where(
    province: str,
    regency: str,
    district: str,
    village: str,
    village_code: str,
    regency_code: str,
) -> dict[str, str]:
    """A warehouse's place as the form or the API gives it, by names and codes."""
    return {
        "province": province,
        "regency": regency,
        "district": district,
        "village": village,
        "village_code": village_code,
        "regency_code": regency_code,
    }


def create_warehouse(
    session: Session,
    *,
    code: str,
    name: str,
    province: str = "",
    regency: str = "",
    district: str = "",
    village: str = "",
    village_code: str = "",
    regency_code: str = "",
    address: str = "",
    timezone: str = "",
    default_timezone: str = WIB,
) -> Warehouse:
    """A warehouse and where it is (official places: see `warehouse_address`); its work is
    shown in `timezone`, or when that is empty in its province's zone."""
    code = clean_code(code)
    where = _where(province, regency, district, village, village_code, regency_code)
    columns = _warehouse_columns(name, address, timezone, default_timezone, where)
    return _add(session, Warehouse(code=code, **columns))


def get_by_code(
    session: Session,
    model: type[Coded],
    code: object,
    field_name: str,
    options: Sequence[ORMOption] = (),
) -> Coded:
    """The object with this code (with `options`, e.g. what to load with it), or NotFound
    naming the field."""
    obj = None
    if isinstance(code, str):
        query = select(model).where(model.code == code.strip().upper()).options(*options)
        obj = session.scalars(query).unique().first()
    if obj is None:
        raise NotFound(_l("Nothing is known by the code %(code)s.", code=code), field=field_name)
    return obj


def update_donor(session: Session, donor: Donor, *, name: str, country: str = "") -> Donor:
    """Correct a donor's name or country; its code never changes."""
    _set(donor, _donor_columns(name, country))
    session.flush()
    return donor


def update_kit_type(
    session: Session,
    kit_type: KitType,
    *,
    name: str,
    weight_kg: object,
    volume_m3: object,
    contents: list[ContentLine],
    name_id: str = "",
) -> KitType:
    """Correct a kit type's names, weight, volume and contents; its code never changes.

    Every value is checked before any is set, and the contents are replaced as a whole.
    """
    columns = _kit_type_columns(name, name_id, weight_kg, volume_m3)
    items = _content_items(contents)
    _set(kit_type, columns)
    kit_type.contents.clear()
    # The old lines must be gone before the new ones take their positions: one flush
    # would insert before it deletes and break the unique (kit type, position).
    session.flush()
    kit_type.contents.extend(items)
    session.flush()
    return kit_type


def update_warehouse(
    session: Session,
    warehouse: Warehouse,
    *,
    name: str,
    province: str = "",
    regency: str = "",
    district: str = "",
    village: str = "",
    village_code: str = "",
    regency_code: str = "",
    address: str = "",
    timezone: str = "",
    default_timezone: str = WIB,
) -> Warehouse:
    """Correct a warehouse's name, where it is or its zone; its code never changes. Its
    places are given again in full, as when it was created; an empty `timezone` means
    its province's zone."""
    where = _where(province, regency, district, village, village_code, regency_code)
    _set(warehouse, _warehouse_columns(name, address, timezone, default_timezone, where))
    session.flush()
    return warehouse
