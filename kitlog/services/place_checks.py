"""Keeping the stored places in step with the official list kitlog ships.

`load_places` brings the `places` table up to date with the shipped list (after an
upgrade of kitlog brings a newer one): it inserts new codes, renames the places whose
names changed, and removes the codes no longer listed, except those a household, a
warehouse or a round still refers to, which it keeps and names. Run again, it changes
nothing.

`place_problems` lists every household, warehouse and draft round whose places need a
person's eye: a place with no code (its name matched none, or more than one, when it was
stored), a name that no longer matches its code (the place was renamed), or a code no
longer in the list. Each names the first level that failed and up to three suggestions
from the official list. An open or closed round is left out: its area no longer changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from kitlog.models import Household, Round, RoundStatus, Warehouse
from kitlog.models.places import Place as PlaceRow
from kitlog.services import places
from kitlog.services.places import LEVELS, MAX_SUGGESTIONS, Place

CHUNK = 5000  # places per INSERT, UPDATE or DELETE statement


@dataclass
class LoadResult:
    """What `load_places` did, in places."""

    listed: int = 0  # in the shipped list
    inserted: int = 0
    renamed: int = 0  # name (or parent) changed
    unchanged: int = 0
    removed: int = 0
    kept: list[Place] = field(default_factory=list)  # no longer listed, still referred to


# Every column that refers to a place, by the table that holds it.
_REFERENCES: tuple[InstrumentedAttribute[str | None], ...] = (
    *(getattr(Household, f"{level}_code") for level in LEVELS),
    *(getattr(Warehouse, f"{level}_code") for level in LEVELS),
    Round.province_code,
    Round.regency_code,
)


def load_places(
    session: Session,
    *,
    listed: Iterable[Place] | None = None,
    progress: Callable[[int], None] | None = None,
) -> LoadResult:
    """Make the places table hold the official list (`listed`, parents first; the shipped
    one by default), keeping any code that is referred to. Calls `progress(n)` after each
    `n` places of the list are handled."""
    shipped = list(listed if listed is not None else places.read_places())
    stored = {
        code: (level, parent, name)
        for code, level, parent, name in session.execute(
            select(PlaceRow.code, PlaceRow.level, PlaceRow.parent_code, PlaceRow.name)
        )
    }
    result = LoadResult(listed=len(shipped))
    for start in range(0, len(shipped), CHUNK):
        chunk = shipped[start : start + CHUNK]
        new, changed = [], []
        for place in chunk:
            row = {"code": place.code, "level": place.level, "parent_code": place.parent}
            row["name"] = place.name
            before = stored.get(place.code)
            if before is None:
                new.append(row)
            elif before != (place.level, place.parent, place.name):
                changed.append(row)
        if new:
            session.execute(insert(PlaceRow), new)
        if changed:
            session.execute(update(PlaceRow), changed)
        result.inserted += len(new)
        result.renamed += len(changed)
        result.unchanged += len(chunk) - len(new) - len(changed)
        if progress is not None:
            progress(len(chunk))
    listed_codes = {place.code for place in shipped}
    gone = [code for code in stored if code not in listed_codes]
    kept = _still_referred_to(session, gone, stored)
    removed = sorted((code for code in gone if code not in kept), key=_deepest_first)
    for start in range(0, len(removed), CHUNK):
        codes = removed[start : start + CHUNK]
        session.execute(delete(PlaceRow).where(PlaceRow.code.in_(codes)))
    session.flush()
    result.removed = len(removed)
    result.kept = [
        Place(code, stored[code][2], stored[code][0], stored[code][1]) for code in sorted(kept)
    ]
    return result


def _deepest_first(code: str) -> tuple[int, str]:
    return (-code.count("."), code)


def _still_referred_to(
    session: Session, gone: Sequence[str], stored: dict[str, tuple[str, str | None, str]]
) -> set[str]:
    """The codes of `gone` that a household, warehouse or round refers to, with their
    parents (a place's parent is a foreign key too)."""
    kept: set[str] = set()
    for start in range(0, len(gone), CHUNK):
        chunk = gone[start : start + CHUNK]
        for column in _REFERENCES:
            kept.update(session.scalars(select(column).where(column.in_(chunk)).distinct()))
    for code in list(kept):
        parent = stored[code][1]
        while parent is not None and parent in stored and parent in gone:
            kept.add(parent)
            parent = stored[parent][1]
    return kept


# -- checking what is stored ---------------------------------------------------------------

# What is wrong with one level of a record's places.
UNKNOWN = "unknown"  # no code; its name is no official place under the one above
AMBIGUOUS = "ambiguous"  # no code; its name means more than one place
NOT_CODED = "not_coded"  # no code, though its name now means exactly one place
MISSING = "missing"  # neither a name nor a code where one is needed
RENAMED = "renamed"  # a code, and a name that is not that place's (any more)
UNLISTED = "unlisted"  # a code no longer in the official list

RECORDS = ("household", "warehouse", "round")


@dataclass(frozen=True)
class PlaceProblem:
    """One record whose places need correcting: the first level that failed."""

    record: str  # household | warehouse | round
    ref: str  # the household's or warehouse's code, the round's id
    level: str  # province | regency | district | village
    problem: str  # UNKNOWN, AMBIGUOUS, …
    name: str  # the name stored at that level
    code: str  # the code stored at that level ("" for none)
    parent: Place | None  # the place above it, where known
    suggestions: tuple[Place, ...]  # at most three, from the official list
    names: tuple[str, str, str, str]  # the record's four stored names


# A record's places as stored: (name, code) from the province down.
_Stored = tuple[tuple[str, str | None], ...]


def place_problems(session: Session) -> Iterator[PlaceProblem]:
    """Every household (by code), warehouse (by code) and draft round (by id) whose
    places need correcting."""
    households = select(
        Household.code,
        *(getattr(Household, level) for level in LEVELS),
        *(getattr(Household, f"{level}_code") for level in LEVELS),
    ).order_by(Household.code)
    yield from _problems(session, "household", households, required=4)
    warehouses = select(
        Warehouse.code,
        *(getattr(Warehouse, level) for level in LEVELS),
        *(getattr(Warehouse, f"{level}_code") for level in LEVELS),
    ).order_by(Warehouse.code)
    yield from _problems(session, "warehouse", warehouses, required=2)
    rounds = (
        select(
            Round.id,
            Round.province,
            Round.regency,
            Round.province_code,
            Round.regency_code,
        )
        .where(Round.status == RoundStatus.DRAFT)
        .order_by(Round.id)
    )
    yield from _problems(session, "round", rounds, required=0)


def _problems(
    session: Session, record: str, query: Any, *, required: int
) -> Iterator[PlaceProblem]:
    found: dict[_Stored, tuple[int, str, tuple[Place, ...], Place | None] | None] = {}
    for row in session.execute(query).yield_per(1000):
        ref, values = str(row[0]), row[1:]
        depth = len(values) // 2
        stored: _Stored = tuple(
            ((values[i] or "").strip(), values[depth + i] or None) for i in range(depth)
        )
        if stored not in found:
            found[stored] = _first_problem(stored, required)
        problem = found[stored]
        if problem is None:
            continue
        index, kind, suggestions, parent = problem
        name, code = stored[index]
        names = tuple(name for name, _code in stored) + ("",) * (4 - depth)
        yield PlaceProblem(
            record=record,
            ref=ref,
            level=LEVELS[index],
            problem=kind,
            name=name,
            code=code or "",
            parent=parent,
            suggestions=suggestions,
            names=(names[0], names[1], names[2], names[3]),
        )


def _first_problem(
    stored: _Stored, required: int
) -> tuple[int, str, tuple[Place, ...], Place | None] | None:
    """(the level's index, the problem, suggestions, the place above) of the first level
    that fails, or None when every level given has its code and its name matches. A level
    with no code whose name now means exactly one place is looked past (to the level that
    holds the record back), and is the problem only when nothing below fails."""
    gazetteer = places.gazetteer()
    parent: Place | None = None
    not_coded = None
    for index, (name, code) in enumerate(stored):
        level = LEVELS[index]
        if code is not None:
            place = gazetteer.get(code)
            if place is None:
                return index, UNLISTED, _similar(level, name, parent), parent
            if name and place not in gazetteer.named(level, name, place.parent):
                return index, RENAMED, (place,), parent
            parent = place
            continue
        if not name:
            if index < required:
                return index, MISSING, (), parent
            break  # nothing given below: a warehouse's village, a round's regency
        found = gazetteer.named(level, name, parent.code if parent else None)
        if len(found) > 1:
            return index, AMBIGUOUS, tuple(found[:MAX_SUGGESTIONS]), parent
        if not found:
            return index, UNKNOWN, _similar(level, name, parent), parent
        not_coded = not_coded or (index, NOT_CODED, (found[0],), parent)
        parent = found[0]
    return not_coded


def _similar(level: str, name: str, parent: Place | None) -> tuple[Place, ...]:
    if not name:
        return ()
    return tuple(places.gazetteer().similar(level, name, parent.code if parent else None))
