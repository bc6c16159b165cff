"""The parcel's actions, declared once: what each scan does, from which statuses, under
which guards, who may make it, the words the pages show for it, and why it is refused.

    pack     allocated | returned           → packed
    load     packed                         → packed      onto an open manifest of the
                                                          parcel's warehouse, once
    deliver  dispatched | failed            → delivered   a failed parcel: while its
                                                          manifest is on the road; with
                                                          the proof its round asks for
    fail     dispatched                     → failed      (with a reason)
    return   dispatched | failed            → returned    (ledger `return`: kits back on
                                                          the shelf)

Every action needs the parcel's round open: a draft round's parcels are allocated and
labelled but not yet released to the warehouse, and a closed round takes no more scans.

Everything else is derived from ACTIONS: `services.scans` (TRANSITIONS, allowed_actions,
the refusals of record_scan and load_refusal), `kitlog.security.SCAN_ACTION_PERMISSIONS`,
the choices and words of the scan station and the parcel page, and the JSON description
(`as_json`) that the station and delivery pages read instead of coding the rules again.

Nothing here reads the request or the database: a refusal learns what it tells about the
parcel's history from the `Facts` the scan service hands it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from kitlog.models import (
    CLOSED_WITH_ROUND,
    PARCEL_STATUSES,
    SCAN_ACTIONS,
    ManifestStatus,
    ParcelStatus,
    ProofKind,
    RoundStatus,
    ScanAction,
    Verification,
)
from kitlog.models.base import as_utc
from kitlog.names import MANIFEST_STATUS_IN_TEXT, PARCEL_STATUS_IN_TEXT
from kitlog.services.parcel_codes import format_short_code
from kitlog.services.time_zones import format_day

if TYPE_CHECKING:
    from kitlog.models import Collector, HouseholdCard, Manifest, Parcel, ParcelEvent

# Where a page offers an action.
STATION = "station"  # a mode of the warehouse scan station (/scan/)
PAGE = "page"  # a button of the parcel's own page (/p/<token>)
DOOR = "door"  # a form of the delivery page (/deliver/); the parcel page links to it
PLACES = (STATION, PAGE, DOOR)


@dataclass(frozen=True)
class Facts:
    """What a refusal may say about a parcel: the parcel, the manifest the scan names (a
    load), and its history, read by the scan service when a refusal asks for it."""

    parcel: Parcel
    manifest: Manifest | None
    last_event: Callable[[str, str | None], ParcelEvent | None]  # (status, from_status)
    when_by: Callable[[ParcelEvent | None], LazyString]  # "on 3 Dec 14:02 by Siti Rahayu"
    # What the scan carries, when a scan is checked (the needs are checked then only).
    carried: Carried | None = None

    @property
    def target(self) -> Manifest:
        """The manifest the scan names: only a load's guards (target=True) ask for it."""
        assert self.manifest is not None  # noqa: S101 - a target guard runs only for a load
        return self.manifest

    @property
    def loaded_on(self) -> Manifest:
        """The manifest the parcel is on: only asked when NOT_LOADED refuses."""
        assert self.parcel.manifest is not None  # noqa: S101 - refused because it is loaded
        return self.parcel.manifest

    def on_by(self, status: str | None = None, from_status: str | None = None) -> LazyString:
        """When and by whom the parcel last came to `status` (default: the one it is in)."""
        return self.when_by(self.last_event(status or self.parcel.status, from_status))


Refusal = Callable[[Facts], LazyString]


@dataclass(frozen=True)
class Carried:
    """What a scan carries besides its code that a need asks about."""

    proof: str | None = None  # the kind of proof of delivery (signature, photo)
    card_text: str = ""  # the household card as scanned or typed ("" when none)
    card: HouseholdCard | None = None  # the card it names (current or replaced), if any
    collector: Collector | None = None  # the collector named as the recipient
    collector_id: int | None = None  # the collector id as sent (when it names none)


@dataclass(frozen=True)
class Need:
    """Something a scan of the action must carry, depending on the parcel: checked when
    the scan is made (after the status and the guards), never by the list of actions a
    parcel allows, since the page offers the action and asks for what it needs."""

    name: str
    met: Callable[[Parcel, Carried], bool]
    refusal: Refusal


@dataclass(frozen=True)
class Guard:
    """A condition besides the parcel's status that an action needs.

    `target` guards are about the manifest a scan names (a load): a scan checks them, the
    list of actions a parcel allows now cannot. `statuses` limits the guard to some of the
    action's from-statuses (empty: all of them).
    """

    name: str
    holds: Callable[[Parcel, Manifest | None], bool]
    refusal: Refusal
    statuses: tuple[str, ...] = ()
    target: bool = False

    def applies(self, status: str) -> bool:
        return not self.statuses or status in self.statuses


@dataclass(frozen=True)
class Words:
    """What the pages call an action, where they offer it."""

    button: LazyString | None = None  # the parcel page's button or link
    mode: LazyString | None = None  # the scan station's mode
    short: LazyString | None = None  # the station's list of last scans
    done: LazyString | None = None  # the station's answer when a scan is accepted


@dataclass(frozen=True)
class ParcelAction:
    """One row of the table: a scan action and every rule about it."""

    name: str
    from_statuses: tuple[str, ...]
    to_status: str
    permission: str  # in kitlog.security.PERMISSIONS
    refusals: Mapping[str, Refusal]  # why not, for each status outside from_statuses
    guards: tuple[Guard, ...] = ()  # in the order a refusal names them
    needs: tuple[Need, ...] = ()  # what the scan must carry, by the parcel (the proof)
    requires: tuple[str, ...] = ()  # what a scan of it must name besides the code
    places: tuple[str, ...] = ()
    words: Words = Words()
    danger: bool = False  # its button warns (red)

    def guards_for(self, status: str, *, target: bool) -> tuple[Guard, ...]:
        """The guards that apply from this status (with the target's, when there is one)."""
        return tuple(g for g in self.guards if g.applies(status) and (target or not g.target))


# -- guards --------------------------------------------------------------------------------


def _round_open(parcel: Parcel, _manifest: Manifest | None) -> bool:
    return parcel.round.status == RoundStatus.OPEN


def _not_loaded(parcel: Parcel, _manifest: Manifest | None) -> bool:
    return parcel.manifest is None or parcel.manifest.status != ManifestStatus.OPEN


def _manifest_on_the_road(parcel: Parcel, _manifest: Manifest | None) -> bool:
    return parcel.manifest is not None and parcel.manifest.status == ManifestStatus.DISPATCHED


def _target_open(_parcel: Parcel, manifest: Manifest | None) -> bool:
    return manifest is not None and manifest.status == ManifestStatus.OPEN


def _target_same_warehouse(parcel: Parcel, manifest: Manifest | None) -> bool:
    return manifest is not None and parcel.round.warehouse_id == manifest.warehouse_id


def _round_not_open(f: Facts) -> LazyString:
    if f.parcel.round.status == RoundStatus.DRAFT:
        return _l(
            "Its round %(name)s is not open yet: the administrator opens it to release its"
            " parcels to the warehouse.",
            name=f.parcel.round.name,
        )
    return _l("Its round %(name)s is closed.", name=f.parcel.round.name)


ROUND_OPEN = Guard("round_open", _round_open, _round_not_open)
MANIFEST_OPEN = Guard(
    "manifest_open",
    _target_open,
    lambda f: _l(
        "Manifest %(number)s is %(status)s: only an open manifest can be loaded.",
        number=f.target.number,
        status=MANIFEST_STATUS_IN_TEXT.get(f.target.status, f.target.status),
    ),
    target=True,
)
SAME_WAREHOUSE = Guard(
    "same_warehouse",
    _target_same_warehouse,
    lambda f: _l(
        "This parcel is packed in %(parcel_warehouse)s; manifest %(number)s leaves from"
        " %(manifest_warehouse)s.",
        parcel_warehouse=f.parcel.round.warehouse.code,
        number=f.target.number,
        manifest_warehouse=f.target.warehouse.code,
    ),
    target=True,
)
NOT_LOADED = Guard(
    "not_loaded",
    _not_loaded,
    lambda f: _l(
        "Already loaded onto manifest %(number)s %(on_by)s.",
        number=f.loaded_on.number,
        on_by=f.on_by(ParcelStatus.PACKED, ParcelStatus.PACKED),
    ),
)


def _off_the_road(f: Facts) -> LazyString:
    manifest = f.parcel.manifest
    return _l(
        "Its delivery failed %(on_by)s and manifest %(number)s is %(status)s: it can no"
        " longer be delivered on that trip.",
        on_by=f.on_by(),
        number=manifest.number if manifest else "-",
        status=MANIFEST_STATUS_IN_TEXT.get(manifest.status if manifest else "", "-"),
    )


MANIFEST_ON_THE_ROAD = Guard(
    "manifest_on_the_road", _manifest_on_the_road, _off_the_road, statuses=(ParcelStatus.FAILED,)
)


def _proof_given(parcel: Parcel, carried: Carried) -> bool:
    required = parcel.round.proof
    return required == ProofKind.NONE or carried.proof == required


def _proof_missing(f: Facts) -> LazyString:
    if f.parcel.round.proof == ProofKind.PHOTO:
        return _l("Round %(name)s needs a photo of the handover.", name=f.parcel.round.name)
    return _l("Round %(name)s needs the recipient's signature.", name=f.parcel.round.name)


PROOF = Need("proof", _proof_given, _proof_missing)


def _card_matches(parcel: Parcel, carried: Carried) -> bool:
    """A round that asks for cards needs the household's current card; a card carried
    anyway must be that one too (a handover is never made on another household's card)."""
    if not carried.card_text:
        return parcel.round.verification != Verification.CARD
    card = carried.card
    return (
        card is not None and card.replaced_at is None and card.household_id == parcel.household_id
    )


def _card_refused(f: Facts) -> LazyString:
    carried = f.carried or Carried()
    card = carried.card
    if not carried.card_text:
        return _l(
            "Round %(name)s needs the household's card: scan it with the parcel.",
            name=f.parcel.round.name,
        )
    if card is None:
        return _l("No household card has the code %(code)s.", code=carried.card_text[:60])
    if card.household_id != f.parcel.household_id:
        return _l(
            "This is another household's card: parcel %(parcel)s is for household %(household)s.",
            parcel=format_short_code(f.parcel.short_code),
            household=f.parcel.household.code,
        )
    replaced = as_utc(card.replaced_at)
    return _l("Card replaced on %(date)s.", date=format_day(replaced) if replaced else "-")


CARD = Need("card", _card_matches, _card_refused)


def _collector_of_household(parcel: Parcel, carried: Carried) -> bool:
    """A collector named as the recipient is one the parcel's household named, still active."""
    if carried.collector_id is None:
        return True
    collector = carried.collector
    return (
        collector is not None and collector.household_id == parcel.household_id and collector.active
    )


def _collector_refused(f: Facts) -> LazyString:
    carried = f.carried or Carried()
    collector = carried.collector
    household = f.parcel.household.code
    if collector is None or collector.household_id != f.parcel.household_id:
        return _l(
            "Household %(household)s named no such collector: choose one of its collectors,"
            " the head, or someone else by name.",
            household=household,
        )
    return _l(
        "%(name)s no longer collects for household %(household)s (removed on %(date)s).",
        name=collector.name,
        household=household,
        date=format_day(as_utc(collector.deactivated_at)) if collector.deactivated_at else "-",
    )


COLLECTOR = Need("collector", _collector_of_household, _collector_refused)


# -- refusals by status --------------------------------------------------------------------


def _cancelled(f: Facts) -> LazyString:
    event = f.last_event(ParcelStatus.CANCELLED, None)
    if event is not None and event.note == CLOSED_WITH_ROUND:
        return _l(
            "This parcel was cancelled %(on_by)s, when its round closed.", on_by=f.when_by(event)
        )
    return _l("This parcel was cancelled %(on_by)s.", on_by=f.when_by(event))


def _already_dispatched(f: Facts) -> LazyString:
    if f.parcel.manifest is not None:
        return _l(
            "Already dispatched %(on_by)s on manifest %(number)s.",
            on_by=f.on_by(),
            number=f.parcel.manifest.number,
        )
    return _l("Already dispatched %(on_by)s.", on_by=f.on_by())


def _not_dispatched(f: Facts) -> LazyString:
    return _l(
        "Not dispatched: it was %(status)s %(on_by)s.",
        status=PARCEL_STATUS_IN_TEXT[f.parcel.status],
        on_by=f.on_by(),
    )


# A delivered or cancelled parcel is done with: every action is refused the same way.
_ENDED: dict[str, Refusal] = {
    ParcelStatus.DELIVERED: lambda f: _l("Already delivered %(on_by)s.", on_by=f.on_by()),
    ParcelStatus.CANCELLED: _cancelled,
}
_NOT_ON_THE_ROAD: dict[str, Refusal] = {
    ParcelStatus.ALLOCATED: _not_dispatched,
    ParcelStatus.PACKED: _not_dispatched,
    ParcelStatus.RETURNED: _not_dispatched,
}


# -- the table -----------------------------------------------------------------------------

ACTIONS: tuple[ParcelAction, ...] = (
    ParcelAction(
        name=ScanAction.PACK,
        from_statuses=(ParcelStatus.ALLOCATED, ParcelStatus.RETURNED),
        to_status=ParcelStatus.PACKED,
        permission="scans.warehouse",
        guards=(ROUND_OPEN,),
        refusals={
            **_ENDED,
            ParcelStatus.PACKED: lambda f: _l("Already packed %(on_by)s.", on_by=f.on_by()),
            ParcelStatus.DISPATCHED: _already_dispatched,
            ParcelStatus.FAILED: lambda f: _l(
                "Its delivery failed %(on_by)s: scan it back in (return) before packing it again.",
                on_by=f.on_by(),
            ),
        },
        places=(STATION, PAGE),
        words=Words(button=_l("Packed"), mode=_l("Pack"), short=_l("Pack"), done=_l("Packed")),
    ),
    ParcelAction(
        name=ScanAction.LOAD,
        from_statuses=(ParcelStatus.PACKED,),
        to_status=ParcelStatus.PACKED,
        permission="scans.warehouse",
        guards=(ROUND_OPEN, MANIFEST_OPEN, SAME_WAREHOUSE, NOT_LOADED),
        refusals={
            **_ENDED,
            ParcelStatus.ALLOCATED: lambda f: _l(
                "Not packed yet (allocated %(on_by)s): pack it before loading it.",
                on_by=f.on_by(),
            ),
            ParcelStatus.RETURNED: lambda f: _l(
                "Returned to the warehouse %(on_by)s: pack it again before loading it.",
                on_by=f.on_by(),
            ),
            ParcelStatus.DISPATCHED: lambda f: _l("Already dispatched %(on_by)s.", on_by=f.on_by()),
            ParcelStatus.FAILED: lambda f: _l("Its delivery failed %(on_by)s.", on_by=f.on_by()),
        },
        requires=("manifest",),
        places=(STATION,),
        words=Words(
            mode=_l("Load onto a manifest"),
            short=_l("Load"),
            done=_l("Loaded onto the manifest"),
        ),
    ),
    ParcelAction(
        name=ScanAction.DELIVER,
        from_statuses=(ParcelStatus.DISPATCHED, ParcelStatus.FAILED),
        to_status=ParcelStatus.DELIVERED,
        permission="scans.field",
        guards=(MANIFEST_ON_THE_ROAD, ROUND_OPEN),
        needs=(CARD, COLLECTOR, PROOF),
        refusals={**_ENDED, **_NOT_ON_THE_ROAD},
        places=(DOOR,),
        words=Words(button=_l("Deliver")),
    ),
    ParcelAction(
        name=ScanAction.FAIL,
        from_statuses=(ParcelStatus.DISPATCHED,),
        to_status=ParcelStatus.FAILED,
        permission="scans.field",
        guards=(ROUND_OPEN,),
        refusals={
            **_ENDED,
            **_NOT_ON_THE_ROAD,
            ParcelStatus.FAILED: lambda f: _l(
                "A failed delivery was already recorded %(on_by)s.", on_by=f.on_by()
            ),
        },
        requires=("reason",),
        places=(DOOR,),
        words=Words(button=_l("Could not deliver")),
        danger=True,
    ),
    ParcelAction(
        name=ScanAction.RETURN,
        from_statuses=(ParcelStatus.DISPATCHED, ParcelStatus.FAILED),
        to_status=ParcelStatus.RETURNED,
        permission="scans.warehouse",
        guards=(ROUND_OPEN,),
        refusals={**_ENDED, **_NOT_ON_THE_ROAD},
        places=(STATION, PAGE),
        words=Words(
            button=_l("Returned to the warehouse"),
            mode=_l("Return to stock"),
            short=_l("Return"),
            done=_l("Returned to stock"),
        ),
    ),
)

BY_NAME: dict[str, ParcelAction] = {action.name: action for action in ACTIONS}

# Which permission each action needs (kitlog.security.SCAN_ACTION_PERMISSIONS).
PERMISSIONS: dict[str, str] = {action.name: action.permission for action in ACTIONS}

# What each action turns which statuses into.
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    action.name: (action.from_statuses, action.to_status) for action in ACTIONS
}

assert tuple(BY_NAME) == SCAN_ACTIONS  # noqa: S101 - every action has its row, in order
for _row in ACTIONS:  # every status is either allowed or refused with its reason
    assert set(_row.from_statuses).isdisjoint(_row.refusals)  # noqa: S101
    assert set(_row.from_statuses) | set(_row.refusals) == set(PARCEL_STATUSES)  # noqa: S101
del _row


def offered_at(place: str) -> tuple[str, ...]:
    """The actions a place offers, in the table's order."""
    return tuple(action.name for action in ACTIONS if place in action.places)


def allowed(parcel: Parcel) -> list[str]:
    """The actions the parcel's state allows now, whoever asks: its status is one they
    start from and every guard that can be checked without a target holds."""
    return [
        action.name
        for action in ACTIONS
        if parcel.status in action.from_statuses
        and all(g.holds(parcel, None) for g in action.guards_for(parcel.status, target=False))
    ]


def refusal(action: str, facts: Facts) -> LazyString | None:
    """Why the action is refused now, or None when it is allowed: the parcel's status
    first, then each guard in the table's order (those about the named manifest when the
    scan names one), then, for a scan, each need."""
    row = BY_NAME[action]
    parcel = facts.parcel
    if parcel.status not in row.from_statuses:
        return row.refusals[parcel.status](facts)
    for guard in row.guards_for(parcel.status, target=facts.manifest is not None):
        if not guard.holds(parcel, facts.manifest):
            return guard.refusal(facts)
    if facts.carried is not None:
        for need in row.needs:
            if not need.met(parcel, facts.carried):
                return need.refusal(facts)
    return None


def guard_values(parcel: Parcel) -> dict[str, bool]:
    """Whether each guard that needs no target holds for the parcel now (for the pages)."""
    return {
        guard.name: guard.holds(parcel, None)
        for action in ACTIONS
        for guard in action.guards
        if not guard.target
    }


def _text(word: LazyString | None) -> str | None:
    return None if word is None else str(word)


def as_json() -> dict[str, Any]:
    """The table as the pages' scripts read it, its words in the reader's language.

    A script decides what a parcel allows with it as allowed() does: the parcel's status
    is in `from`, and each guard whose `statuses` hold it is true in what the page knows
    of the parcel (`guard_values`), or unknown there (a parcel of a trip saved on the
    phone): the server has the last word when the scan is sent.
    """
    return {
        "actions": [
            {
                "name": action.name,
                "from": list(action.from_statuses),
                "to": action.to_status,
                "permission": action.permission,
                "guards": [
                    {
                        "name": guard.name,
                        "statuses": list(guard.statuses or action.from_statuses),
                        "target": guard.target,
                    }
                    for guard in action.guards
                ],
                "requires": list(action.requires),
                "needs": [need.name for need in action.needs],
                "places": list(action.places),
                "danger": action.danger,
                "words": {
                    "button": _text(action.words.button),
                    "mode": _text(action.words.mode),
                    "short": _text(action.words.short),
                    "done": _text(action.words.done),
                },
            }
            for action in ACTIONS
        ]
    }


__all__ = [
    "ACTIONS",
    "BY_NAME",
    "CARD",
    "COLLECTOR",
    "DOOR",
    "PROOF",
    "PAGE",
    "PERMISSIONS",
    "PLACES",
    "STATION",
    "TRANSITIONS",
    "Carried",
    "Facts",
    "Guard",
    "Need",
    "ParcelAction",
    "Words",
    "allowed",
    "as_json",
    "guard_values",
    "offered_at",
    "refusal",
]
