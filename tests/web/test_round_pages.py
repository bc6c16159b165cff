"""Distribution rounds through the pages: plan a round, see the kits needed against those
available, allocate, see who was skipped and why, cancel a parcel."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import Parcel, ParcelStatus, Round, RoundStatus
from kitlog.services import distribution as dist
from kitlog.services import stock
from kitlog.services.parcel_codes import format_short_code
from tests.web.conftest import csrf_token, field_errors, text_of
from tests.worlds import ScanWorld

EAST_JAVA = {"province": "Jawa Timur", "regency": "Kabupaten Malang"}


def _round(batches, *, warehouse=None, **kw) -> Round:
    values = {"name": "Covid-19 round 1", "entitlement": 1, **kw}
    round_ = dist.create_round(
        db.session,
        batches=batches,
        warehouse=warehouse or batches[0].warehouse,
        user=None,
        **values,
    )
    db.session.commit()
    return round_


def _allocate(round_) -> None:
    dist.allocate(db.session, round_, user=None, today=date(2021, 1, 10))
    db.session.commit()


def _parcels(round_, status: str | None = None) -> int:
    db.session.expire_all()
    query = select(func.count()).select_from(Parcel).where(Parcel.round_id == round_.id)
    if status:
        query = query.where(Parcel.status == status)
    return db.session.scalar(query)


def _available(batch) -> int:
    db.session.expire_all()
    level = stock.stock_level(db.session, batch_id=batch.id, warehouse_id=batch.warehouse_id)
    return level.available


def _post(browser, round_, action: str):
    """Press one of the round page's buttons (open, close, allocate)."""
    path = f"/rounds/{round_.id}/{action}"
    token = csrf_token(browser.get(f"/rounds/{round_.id}").get_data(as_text=True))
    return browser.client.post(path, data={"csrf_token": token})


def _round_form(batch, **values) -> dict:
    form = {
        "name": "KOICA kits, East Java",
        "batches": [batch.id],
        "warehouse": batch.warehouse_id,
        "entitlement": "2",
        "members_per_kit": "",
        "province": "Jawa Timur",
        "regency": "Kabupaten Malang",
        "start_date": "2020-12-14",
        "end_date": "2021-01-31",
    }
    form.update(values)
    return form


# -- the list ----------------------------------------------------------------------------------


def test_the_list_shows_each_round_with_its_status_warehouse_donor_and_counts(browser, login, make):
    batch = make.batch(received=10)
    for _ in range(3):
        make.household(**EAST_JAVA)
    allocated = _round([batch], name="First round", **EAST_JAVA)
    _allocate(allocated)
    _round([batch], name="Second round", province="Bali")
    login("warehouse")
    page = text_of(browser.get("/rounds/"))
    assert page.index("Second round") < page.index("First round")  # newest first
    assert "Draft" in page and "JKT-01" in page and "KOICA" in page
    assert "Jawa Timur · Kabupaten Malang" in page and "Bali" in page
    assert "Allocated 3" in page
    assert "Delivered 0 of 3" in page
    assert "No parcels allocated yet." in page  # the second round
    assert "Plan a round" not in page  # only an admin plans rounds
    assert re.search(r'<progress max="3" value="0"', browser.get("/rounds/").get_data(True))


def test_the_progress_bars_are_cumulative(browser, login, make):
    w = ScanWorld(make, households=3)
    w.on_the_road(w.parcels[:2])
    w.scan(w.parcels[0], "deliver", recipient_name="Ibu Sari", recipient_relation="self")
    login("warehouse")
    for path in ("/rounds/", f"/rounds/{w.round.id}"):
        html = browser.get(path).get_data(True)
        bars = re.findall(
            r'progress-row progress-(\w+)">.*?<progress max="(\d+)" value="(\d+)"', html, re.S
        )
        assert bars == [
            ("delivered", "3", "1"),
            ("dispatched", "3", "2"),  # the delivered one came through dispatched
            ("packed", "3", "2"),
        ], path


# -- planning a round --------------------------------------------------------------------------


def test_an_admin_plans_a_round_through_the_form(browser, login, make):
    batch = make.batch(received=50, lot="KOICA-001")
    make.batch(received=5, lot="OLD-LOT", expiry=date(2020, 1, 1))
    login("admin")
    form = browser.get("/rounds/new")
    page = text_of(form)
    assert "Lot KOICA-001 · KOICA · HK-FAM" in page
    assert "JKT-01 50 kits available" in page
    assert "expired" in page  # OLD-LOT
    assert "kits = min(kits per household, members ÷ N rounded up)" in page
    assert "Untick it later to extend the round to every household" in page
    # the area is typed, or picked from the official lists (places.js)
    assert 'data-place-level="province"' in form.get_data(as_text=True)
    assert 'data-place-level="regency"' in form.get_data(as_text=True)

    response = browser.submit(
        "/rounds/new",
        _round_form(batch, members_per_kit="3", vulnerable_first="y", show_head_name=""),
    )
    assert response.status_code == 302
    round_ = db.session.scalars(select(Round)).one()
    assert response.headers["Location"].endswith(f"/rounds/{round_.id}")
    assert (round_.name, round_.entitlement, round_.members_per_kit) == (
        "KOICA kits, East Java",
        2,
        3,
    )
    assert [b.lot for b in round_.batches] == ["KOICA-001"]
    assert round_.vulnerable_first and not round_.show_head_name
    assert round_.status == RoundStatus.DRAFT
    assert round_.province == "Jawa Timur" and round_.regency == "Kabupaten Malang"
    page = text_of(browser.get(response.headers["Location"]))
    assert "is planned as a draft" in page
    assert "One kit for every 3 members, at most 2" in page


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name": " "}, "name", "This field is required."),
        ({"batches": []}, "batches", "Choose at least one batch."),
        ({"batches": ["999999"]}, "batches", "Choose one from the list."),
        ({"entitlement": "0"}, "entitlement", "Number must be between 1 and 100."),
        ({"members_per_kit": "51"}, "members_per_kit", "Number must be between 1 and 50."),
        ({"province": "Atlantis"}, "province", "Atlantis is not one of Indonesia's 38 provinces."),
        ({"end_date": "2020-12-01"}, "end_date", "The round cannot end before it starts."),
    ],
    ids=["name", "no-batch", "unknown-batch", "entitlement", "members", "province", "dates"],
)
def test_a_refused_round_shows_why_on_its_field_and_creates_nothing(
    browser, login, make, values, field, message
):
    batch = make.batch(received=10)
    login("admin")
    response = browser.submit("/rounds/new", _round_form(batch, **values))
    assert response.status_code == 422
    assert message in field_errors(response, field)
    assert db.session.scalar(select(func.count()).select_from(Round)) == 0


def test_batches_of_two_kit_types_are_refused_on_the_batches_field(browser, login, make):
    family = make.batch(received=10)
    other_kit = make.kit_type("HK-IND")
    other = stock.receive_batch(
        db.session,
        donor=family.donor,
        kit_type=other_kit,
        warehouse=family.warehouse,
        reference="AGR-2",
        lot="IND-1",
        expiry_date=None,
        quantity_pledged=5,
        quantity_received=5,
        quantity_damaged=0,
        received_date=date(2020, 12, 7),
        user=None,
    )
    db.session.commit()
    login("admin")
    response = browser.submit("/rounds/new", _round_form(family, batches=[family.id, other.id]))
    assert response.status_code == 422
    assert "All the batches of a round must be of one kit type." in field_errors(
        response, "batches"
    )
    assert db.session.scalar(select(func.count()).select_from(Round)) == 0


def test_an_open_round_keeps_its_batches_but_can_widen_to_every_household(browser, login, make):
    batch = make.batch(received=10)
    round_ = _round([batch], vulnerable_first=True, **EAST_JAVA)
    dist.open_round(db.session, round_, user=None)
    db.session.commit()
    login("admin")
    form = browser.get(f"/rounds/{round_.id}/edit")
    assert "can no longer change" in text_of(form)
    html = form.get_data(as_text=True)
    assert re.search(r'<input(?=[^>]*\bdisabled\b)(?=[^>]*name="entitlement")', html)
    assert re.search(r'<input(?=[^>]*\bdisabled\b)(?=[^>]*name="batches")', html)
    response = browser.submit(
        f"/rounds/{round_.id}/edit",
        {"name": "Round 1, everyone", "entitlement": "9", "start_date": "", "end_date": ""},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert round_.name == "Round 1, everyone"
    assert not round_.vulnerable_first
    assert round_.entitlement == 1  # locked while open: what was posted is ignored


# -- the plan before allocating ----------------------------------------------------------------


def test_the_round_page_shows_kits_needed_against_kits_available_before_allocating(
    browser, login, make
):
    batch = make.batch(received=20)
    for members in (2, 5, 9):
        make.household(members=members, **EAST_JAVA)
    round_ = _round([batch], entitlement=3, members_per_kit=4, **EAST_JAVA)
    login("admin")
    page = text_of(browser.get(f"/rounds/{round_.id}"))
    # 2 → 1 kit, 5 → 2 kits, 9 → min(3, 3) = 3 kits
    assert "Households waiting for a parcel 3" in page
    assert "Kits needed 6" in page
    assert "Kits available 20" in page
    assert "Short by" not in page
    assert "Allocate parcels" in page


def test_the_round_page_says_short_with_the_missing_kits_and_disables_allocating(
    browser, login, make
):
    batch = make.batch(received=4)
    for _ in range(3):
        make.household(**EAST_JAVA)
    round_ = _round([batch], entitlement=2, **EAST_JAVA)
    login("admin")
    response = browser.get(f"/rounds/{round_.id}")
    page = text_of(response)
    assert "Kits needed 6" in page and "Kits available 4" in page
    assert "Short by 2 kits." in page
    assert re.search(r"<button[^>]*disabled[^>]*>\s*Allocate parcels", response.get_data(True))


# -- allocating --------------------------------------------------------------------------------


def test_allocating_through_the_page_creates_parcels_and_the_counts_change(browser, login, make):
    batch = make.batch(received=10)
    for _ in range(4):
        make.household(**EAST_JAVA)
    make.household(consent=False, **EAST_JAVA)
    round_ = _round([batch], entitlement=2, **EAST_JAVA)
    login("admin")
    response = _post(browser, round_, "allocate")
    assert response.status_code == 302
    assert _parcels(round_) == 4
    assert _available(batch) == 2
    page = text_of(browser.get(response.headers["Location"]))
    assert "4 parcels allocated (8 kits). 1 household skipped: the round's page says why." in page
    assert "Allocated 4" in page
    assert "4 parcels" in page
    assert "Every eligible household already has a parcel in this round." in page
    parcel = db.session.scalars(select(Parcel)).first()
    assert format_short_code(parcel.short_code) in page


def test_a_short_allocation_through_the_page_allocates_nothing_and_says_needed_and_available(
    browser, login, make
):
    batch = make.batch(received=5)
    for _ in range(3):
        make.household(**EAST_JAVA)
    round_ = _round([batch], entitlement=2, **EAST_JAVA)
    login("admin")
    response = _post(browser, round_, "allocate")  # the button is disabled; a stale page
    assert response.status_code == 302
    assert _parcels(round_) == 0
    assert _available(batch) == 5
    page = text_of(browser.get(response.headers["Location"]))
    assert "Nothing was allocated: 6 kits are needed and only 5 are available." in page


def test_skipped_households_are_listed_with_their_reasons(browser, login, make):
    batch = make.batch(received=10)
    vulnerable = make.household(vulnerabilities=["elderly"], **EAST_JAVA)
    plain = make.household(**EAST_JAVA)
    no_consent = make.household(vulnerabilities=["under5"], consent=False, **EAST_JAVA)
    elsewhere = make.household(province="Bali", regency="Kabupaten Badung")
    round_ = _round([batch], vulnerable_first=True, **EAST_JAVA)
    login("admin")
    response = browser.get(f"/rounds/{round_.id}")
    page = text_of(response)
    assert "2 households in the area get no parcel, and why." in page
    assert f"{plain.code}" in page and "has no vulnerability" in page
    assert f"{no_consent.code}" in page and "has not given consent" in page
    assert elsewhere.code not in page  # outside the area: not the round's concern
    assert "Households waiting for a parcel 1" in page
    assert f'href="/households/{plain.code}"' in response.get_data(as_text=True)
    assert vulnerable.code not in page.split("Households skipped")[1]


# -- open, close -------------------------------------------------------------------------------


def test_opening_then_closing_a_round_and_a_refused_close_is_shown(browser, login, make):
    batch = make.batch(received=10)
    make.household(**EAST_JAVA)
    round_ = _round([batch], **EAST_JAVA)
    _allocate(round_)
    login("admin")
    opened = _post(browser, round_, "open")
    assert "is open." in text_of(browser.get(opened.headers["Location"]))
    db.session.expire_all()
    assert round_.status == RoundStatus.OPEN

    again = _post(browser, round_, "open")
    assert "Only a draft round can be opened; this one is open." in text_of(
        browser.get(again.headers["Location"])
    )

    parcel = db.session.scalars(select(Parcel)).one()
    parcel.status = ParcelStatus.PACKED  # the scanning pages do this later
    db.session.commit()
    refused = _post(browser, round_, "close")
    assert "1 parcel of this round is packed, on the road or failed" in text_of(
        browser.get(refused.headers["Location"])
    )
    db.session.expire_all()
    assert round_.status == RoundStatus.OPEN


# -- a parcel ----------------------------------------------------------------------------------


def test_cancelling_a_parcel_through_its_page_releases_its_kits(browser, login, make):
    batch = make.batch(received=10)
    household = make.household(members=3, **EAST_JAVA)
    round_ = _round([batch], entitlement=2, **EAST_JAVA)
    _allocate(round_)
    parcel = db.session.scalars(select(Parcel)).one()
    assert _available(batch) == 8
    admin = login("admin")
    path = f"/rounds/{round_.id}/parcels/{parcel.id}"
    page = text_of(browser.get(path))
    assert format_short_code(parcel.short_code) in page
    assert household.code in page and household.head_name in page
    assert "Allocated" in page and "2 kits" in page
    assert "Cancel the parcel" in page

    response = browser.submit(f"{path}/cancel", {"reason": "Moved to Surabaya"}, page=path)
    assert response.status_code == 302
    assert _parcels(round_, ParcelStatus.CANCELLED) == 1
    assert _available(batch) == 10
    page = text_of(browser.get(path))
    assert "is cancelled: its 2 kits are available again." in page
    assert "Moved to Surabaya" in page and f"by {admin.name}" in page
    assert "Cancel the parcel" not in page  # a cancelled parcel cannot be cancelled again
    round_page = text_of(browser.get(f"/rounds/{round_.id}"))
    assert "Cancelled 1" in round_page
    assert "Kits available 10" in round_page


def test_a_parcel_that_cannot_be_cancelled_says_why(browser, login, make):
    batch = make.batch(received=10)
    make.household(**EAST_JAVA)
    round_ = _round([batch], **EAST_JAVA)
    _allocate(round_)
    parcel = db.session.scalars(select(Parcel)).one()
    path = f"/rounds/{round_.id}/parcels/{parcel.id}"
    login("admin")
    token = csrf_token(browser.get(path).get_data(as_text=True))
    parcel.status = ParcelStatus.DELIVERED  # delivered since the page was opened
    db.session.commit()
    response = browser.client.post(f"{path}/cancel", data={"csrf_token": token})
    assert response.status_code == 409
    assert "This parcel is delivered: only an allocated, packed or returned parcel" in text_of(
        response
    )
    assert _parcels(round_, ParcelStatus.DELIVERED) == 1


def test_a_parcel_of_another_round_is_not_found_under_this_one(browser, login, make):
    batch = make.batch(received=10)
    make.household(**EAST_JAVA)
    first = _round([batch], **EAST_JAVA)
    second = _round([batch], name="Other", **EAST_JAVA)
    _allocate(first)
    parcel = db.session.scalars(select(Parcel)).one()
    login("field")
    assert browser.get(f"/rounds/{first.id}/parcels/{parcel.id}").status_code == 200
    assert browser.get(f"/rounds/{second.id}/parcels/{parcel.id}").status_code == 404


def test_parcels_can_be_filtered_by_status(browser, login, make):
    batch = make.batch(received=10)
    for _ in range(3):
        make.household(**EAST_JAVA)
    round_ = _round([batch], **EAST_JAVA)
    _allocate(round_)
    parcel = db.session.scalars(select(Parcel)).first()
    dist.cancel_parcel(db.session, parcel, user=None)
    db.session.commit()
    login("warehouse")
    page = text_of(browser.get(f"/rounds/{round_.id}?status=cancelled"))
    assert "1 parcel" in page and format_short_code(parcel.short_code) in page
    page = text_of(browser.get(f"/rounds/{round_.id}?status=allocated"))
    assert "2 parcels" in page and format_short_code(parcel.short_code) not in page


# -- who may do what ---------------------------------------------------------------------------


@pytest.fixture
def allocated_round(make):
    batch = make.batch(received=10)
    make.household(**EAST_JAVA)
    round_ = _round([batch], **EAST_JAVA)
    _allocate(round_)
    return round_, db.session.scalars(select(Parcel)).one()


@pytest.mark.parametrize("role", ["warehouse", "field"])
def test_warehouse_and_field_staff_read_rounds_but_cannot_change_them(
    browser, login, make, allocated_round, role
):
    round_, parcel = allocated_round
    login(role)
    parcel_path = f"/rounds/{round_.id}/parcels/{parcel.id}"
    for path in ("/rounds/", f"/rounds/{round_.id}", parcel_path):
        response = browser.get(path)
        assert response.status_code == 200, path
        assert "Allocate parcels" not in text_of(response)
        assert "Cancel the parcel" not in text_of(response)
    token = csrf_token(browser.get(f"/rounds/{round_.id}").get_data(as_text=True))
    for path, data in [
        ("/rounds/new", {"name": "x"}),
        (f"/rounds/{round_.id}/edit", {"name": "x"}),
        (f"/rounds/{round_.id}/allocate", {}),
        (f"/rounds/{round_.id}/open", {}),
        (f"/rounds/{round_.id}/close", {}),
        (f"{parcel_path}/cancel", {}),
    ]:
        response = browser.client.post(path, data={**data, "csrf_token": token})
        assert response.status_code == 403, path
    assert browser.get("/rounds/new").status_code == 403
    db.session.expire_all()
    assert round_.status == RoundStatus.DRAFT and parcel.status == ParcelStatus.ALLOCATED


def test_a_donor_opens_no_round_page(browser, login, make, allocated_round):
    round_, parcel = allocated_round
    login("donor")
    for path in (
        "/rounds/",
        "/rounds/new",
        f"/rounds/{round_.id}",
        f"/rounds/{round_.id}/edit",
        f"/rounds/{round_.id}/parcels/{parcel.id}",
    ):
        assert browser.get(path).status_code == 403, path


def test_household_links_and_names_are_hidden_from_warehouse_staff(
    browser, login, make, allocated_round
):
    round_, parcel = allocated_round
    login("warehouse")
    html = browser.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert parcel.household.code in html
    assert "/households/" not in html
    parcel_page = browser.get(f"/rounds/{round_.id}/parcels/{parcel.id}")
    assert parcel.household.code in text_of(parcel_page)
    assert parcel.household.head_name not in text_of(parcel_page)
    assert "/households/" not in parcel_page.get_data(as_text=True)


def test_field_officers_follow_a_parcel_to_its_household(browser, login, make, allocated_round):
    round_, parcel = allocated_round
    login("field")
    html = browser.get(f"/rounds/{round_.id}/parcels/{parcel.id}").get_data(as_text=True)
    assert f'href="/households/{parcel.household.code}"' in html
    assert parcel.household.head_name in html


@pytest.mark.parametrize("path", ["/rounds/", "/rounds/new", "/rounds/{id}", "/rounds/{id}/edit"])
def test_round_pages_have_no_inline_script_or_style(browser, login, make, path):
    batch = make.batch(received=5)
    make.household(**EAST_JAVA)
    round_ = _round([batch], **EAST_JAVA)
    _allocate(round_)
    login("admin")
    html = browser.get(path.format(id=round_.id)).get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", html)
