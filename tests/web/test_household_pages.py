"""Registering, finding and correcting households through the pages a field officer uses."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from kitlog.blueprints.households import routes as household_routes
from kitlog.extensions import db
from kitlog.models import Household, Parcel, ParcelEvent, Round
from tests.web.conftest import field_errors, text_of

NIK = "3507124506850001"


def _form(**changes) -> dict:
    """What an officer fills in on /households/new."""
    data = {
        "head_name": "  siti   RAHAYU ",
        "nik": "3507 1245 0685 0001",
        "phone": "0812-3456-7890",
        "worker_name": "Agus Santoso",
        "worker_relation": "spouse",
        "province": "Jawa Timur",
        "regency": "KAB.  MALANG",
        "district": "turen",
        "village": "sedayu",
        "members": "5",
        "vulnerabilities": ["elderly", "under5"],
        "consent": "y",
        "consent_date": "2020-12-01",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _households() -> list[Household]:
    db.session.expire_all()
    return list(db.session.scalars(select(Household).order_by(Household.id)))


def _input(html: str, name: str) -> str:
    match = re.search(rf"<input[^>]*name=\"{name}\"[^>]*>", html)
    assert match, f"no input {name}"
    return match.group(0)


# -- registering -------------------------------------------------------------------------


def test_registering_stores_normalised_values_and_shows_the_new_code(browser, login):
    officer = login("field")
    response = browser.submit("/households/new", _form())
    assert response.status_code == 302
    [household] = _households()
    assert response.headers["Location"].endswith(f"/households/{household.code}")
    assert household.code == "HH-000001"
    assert household.head_name == "siti RAHAYU"
    assert household.nik == NIK
    assert household.phone == "+6281234567890"
    assert household.province == "Jawa Timur"
    assert household.regency == "Kabupaten Malang"  # typed "KAB.  MALANG": the official name
    assert household.district == "Turen"
    assert household.village == "Sedayu"
    assert household.village_code == "35.07.09.1008"
    assert household.members == 5
    assert household.vulnerabilities == ["elderly", "under5"]
    assert household.consent and household.consent_date.isoformat() == "2020-12-01"
    assert household.created_by_id == officer.id

    page = browser.get(response.headers["Location"])
    text = text_of(page)
    assert "Household HH-000001 is registered." in text
    assert "Register another household" in text
    for value in (NIK, "+6281234567890", "Kabupaten Malang", "Sedayu", "Husband or wife"):
        assert value in text
    assert "Elderly person (60 or older)" in text and "Child under 5" in text


def test_the_registration_form_is_made_for_a_phone_keyboard(browser, login, app):
    login("field")
    response = browser.get("/households/new")
    html = response.get_data(as_text=True)
    nik = _input(html, "nik")
    assert 'inputmode="numeric"' in nik and 'pattern="[0-9 ]*"' in nik
    assert 'autocomplete="off"' in nik
    phone = _input(html, "phone")
    assert 'type="tel"' in phone and 'inputmode="tel"' in phone
    assert 'inputmode="numeric"' in _input(html, "members")
    # the address is typed, or picked from the official lists (places.js)
    for level in ("province", "regency", "district", "village"):
        assert 'autocomplete="off"' in _input(html, level)
    assert "/api/v1/places" in html and 'src="/static/js/places.js"' in html
    relation = re.search(r'<select[^>]*name="worker_relation".*?</select>', html, re.S).group(0)
    assert "Husband or wife" in relation and "Brother or sister" in relation
    assert (
        len(
            re.findall(
                r'type="checkbox"[^>]*name="vulnerabilities"|name="vulnerabilities"[^>]*type="checkbox"',
                html,
            )
        )
        == 4
    )
    text = text_of(response)
    for legend in ("Head of household", "Migrant worker", "Address", "Household"):
        assert f"<legend>{legend}</legend>" in html, legend
    assert "Register the household" in text
    from kitlog.blueprints.web import local_today

    with app.test_request_context():
        today = local_today().isoformat()
    assert f'value="{today}"' in _input(html, "consent_date")


def test_every_bad_value_is_shown_on_its_field_and_nothing_is_saved(browser, login):
    login("field")
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    response = browser.submit(
        "/households/new",
        _form(
            head_name="",
            nik="3507 1245 0685",
            phone="12345",
            worker_relation="",
            province="",
            village="",
            members="0",
            consent_date=tomorrow,
        ),
    )
    assert response.status_code == 422
    assert _households() == []
    assert "Nothing was saved" in text_of(response)
    assert "Enter a name." in field_errors(response, "head_name")
    assert "A NIK has exactly 16 digits." in field_errors(response, "nik")
    assert "Enter an Indonesian phone number" in field_errors(response, "phone")
    assert "Say how the migrant worker is related" in field_errors(response, "worker_relation")
    # the regency, Kabupaten Malang, says which province; the village is missing
    assert field_errors(response, "province") == ""
    assert "Choose the village." in field_errors(response, "village")
    assert "from 1 to 50 members" in field_errors(response, "members")
    assert "Consent cannot be given in the future." in field_errors(response, "consent_date")
    assert field_errors(response, "worker_name") == ""
    # What was typed stays in the form.
    html = response.get_data(as_text=True)
    assert 'value="3507 1245 0685"' in _input(html, "nik")
    assert 'value="Agus Santoso"' in _input(html, "worker_name")
    assert re.search(r'value="elderly"[^>]*checked|checked[^>]*value="elderly"', html)


def test_a_registered_nik_is_refused_on_its_field_with_a_link_to_that_household(
    browser, login, make
):
    existing = make.household(nik=NIK)
    login("field")
    response = browser.submit("/households/new", _form(head_name="Someone Else"))
    assert response.status_code == 422
    assert f"A household with this NIK is already registered: {existing.code}." in field_errors(
        response, "nik"
    )
    assert f'href="/households/{existing.code}"' in response.get_data(as_text=True)
    assert len(_households()) == 1


def test_a_look_alike_is_shown_as_a_warning_and_registered_only_when_confirmed(
    browser, login, make
):
    existing = make.household(
        head_name="Siti Rahayu", village="Sedayu", district="Turen", regency="Kab. Malang"
    )
    login("field")
    form = _form(nik="3507124506850002")
    response = browser.submit("/households/new", form)
    assert response.status_code == 422
    text = text_of(response)
    assert "This household may already be registered" in text
    assert existing.code in text and existing.head_name in text
    # the look-alike's phone is masked to its last four digits: its own page has it whole
    assert "+62*******0001" in text and existing.phone not in text
    assert f'href="/households/{existing.code}"' in response.get_data(as_text=True)
    assert "This is a different household: register it anyway" in text
    assert len(_households()) == 1

    confirmed = browser.submit("/households/new", {**form, "confirm_duplicate": "y"})
    assert confirmed.status_code == 302
    assert len(_households()) == 2


# -- searching ---------------------------------------------------------------------------


@pytest.fixture
def registry(make):
    return {
        "siti": make.household(head_name="Siti Rahayu", village="Sedayu", nik=NIK),
        "budi": make.household(head_name="Budi Hartono", worker_name="Wati", village="Talok"),
        "made": make.household(
            head_name="Made Wirawan",
            province="Kalimantan Barat",
            regency="Kabupaten Sambas",
            district="Teluk Keramat",
            village="Sayang Sedayu",
            nik=make.nik("51"),
        ),
    }


def _codes(response) -> list[str]:
    return re.findall(
        r"<th scope=\"row\" class=\"c-code\"><a [^>]*>(HH-\d+)</a>", response.get_data(as_text=True)
    )


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("", ["made", "budi", "siti"]),
        ("HH-000002", ["budi"]),
        ("hh-2", ["budi"]),
        ("3507 1245 0685 0001", ["siti"]),
        ("rahayu", ["siti"]),
        ("WATI", ["budi"]),
        ("sedayu", ["made", "siti"]),
        ("nobody", []),
    ],
)
def test_search_finds_by_code_nik_name_or_village(browser, login, registry, q, expected):
    login("field")
    response = browser.get("/households/", query_string={"q": q})
    assert response.status_code == 200
    assert _codes(response) == [registry[name].code for name in expected]
    if not expected:
        assert "No household matches this search." in text_of(response)


def test_search_narrows_by_province(browser, login, registry):
    login("admin")
    response = browser.get(
        "/households/", query_string={"q": "sedayu", "province": "Kalimantan Barat"}
    )
    assert _codes(response) == [registry["made"].code]


def test_search_results_come_in_pages(browser, login, registry, monkeypatch):
    monkeypatch.setattr(household_routes, "PER_PAGE", 2)
    login("field")
    first = browser.get("/households/")
    assert len(_codes(first)) == 2
    assert "Page 1 of 2" in text_of(first)
    second = browser.get("/households/", query_string={"page": 2})
    assert _codes(second) == [registry["siti"].code]


def test_the_list_shows_a_register_button_and_vulnerability_badges(browser, login, make):
    make.household(vulnerabilities=["pregnant"])
    login("field")
    response = browser.get("/households/")
    assert 'href="/households/new"' in response.get_data(as_text=True)
    assert "Register a household" in text_of(response)
    assert "Pregnant" in text_of(response)


# -- the household page ------------------------------------------------------------------


def _parcel(round_, household, status, when, short_code):
    parcel = Parcel(
        round=round_,
        household=household,
        kits=2,
        status=status,
        token=secrets.token_hex(10),
        short_code=short_code,
        created_at=when,
        updated_at=when,
    )
    db.session.add(parcel)
    db.session.flush()
    db.session.add(ParcelEvent(parcel=parcel, status=status, created_at=when + timedelta(hours=1)))
    return parcel


def test_the_household_page_lists_every_parcel_of_every_round_newest_first(browser, login, make):
    household = make.household()
    warehouse = make.warehouse("JKT-01")
    first = Round(name="Round 1 East Java", warehouse=warehouse, entitlement=2)
    second = Round(name="Round 2 East Java", warehouse=warehouse, entitlement=2)
    db.session.add_all([first, second])
    _parcel(first, household, "delivered", datetime(2020, 12, 10, 3, tzinfo=UTC), "AAA-BBB-CCC")
    _parcel(second, household, "allocated", datetime(2021, 3, 2, 3, tzinfo=UTC), "DDD-EEE-FFF")
    db.session.commit()
    login("field")
    text = text_of(browser.get(f"/households/{household.code}"))
    assert text.index("Round 2 East Java") < text.index("Round 1 East Java")
    assert "DDD-EEE-FFF" in text and "AAA-BBB-CCC" in text
    assert "Delivered" in text and "Allocated" in text
    assert "Edit" in text


def test_a_household_without_parcels_says_so(browser, login, make):
    household = make.household()
    login("admin")
    response = browser.get(f"/households/{household.code}")
    assert "No parcel has been allocated to this household yet." in text_of(response)
    assert household.nik in text_of(response)


def test_an_unknown_household_code_is_404(browser, login):
    login("field")
    assert browser.get("/households/HH-999999").status_code == 404
    assert browser.get("/households/HH-999999/edit").status_code == 404


# -- editing -----------------------------------------------------------------------------


def test_the_edit_form_is_prefilled_and_saving_keeps_the_code(browser, login, make):
    household = make.household(vulnerabilities=["disability"], members=3)
    login("field")
    page = browser.get(f"/households/{household.code}/edit")
    html = page.get_data(as_text=True)
    assert f'value="{household.nik}"' in _input(html, "nik")
    assert 'value="3"' in _input(html, "members")
    assert re.search(r'value="disability"[^>]*checked|checked[^>]*value="disability"', html)

    data = {
        "head_name": household.head_name,
        "nik": household.nik,
        "phone": "+62 812 0000 1111",
        "worker_name": household.worker_name,
        "worker_relation": "child",
        "province": "Jatim",
        "regency": household.regency,
        "district": household.district,
        "village": household.village,
        "members": "6",
        "vulnerabilities": ["disability"],
        "consent": "y",
        "consent_date": "2020-12-01",
        "status": "inactive",
    }
    response = browser.submit(f"/households/{household.code}/edit", data)
    assert response.status_code == 302
    [saved] = _households()
    assert saved.code == household.code
    assert (saved.members, saved.worker_relation, saved.status) == (6, "child", "inactive")
    assert saved.phone == "+6281200001111"
    assert f"Household {household.code} is saved." in text_of(
        browser.get(f"/households/{household.code}")
    )


def test_editing_refuses_another_households_nik(browser, login, make):
    first, second = make.household(), make.household()
    login("field")
    response = browser.submit(
        f"/households/{second.code}/edit",
        {**_form(), "nik": first.nik, "status": "active"},
    )
    assert response.status_code == 422
    assert first.code in field_errors(response, "nik")
    db.session.expire_all()
    assert db.session.get(Household, second.id).nik != first.nik


# -- who may -------------------------------------------------------------------------------


HOUSEHOLD_PAGES = [
    "/households/",
    "/households/new",
    "/households/{code}",
    "/households/{code}/edit",
]


@pytest.mark.parametrize("role", ["donor", "warehouse"])
@pytest.mark.parametrize("path", HOUSEHOLD_PAGES)
def test_donors_and_storekeepers_never_see_household_pages(client, login, make, role, path):
    household = make.household()
    login(role)
    response = client.get(path.format(code=household.code))
    assert response.status_code == 403
    assert household.head_name not in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["admin", "field"])
@pytest.mark.parametrize("path", HOUSEHOLD_PAGES)
def test_admins_and_field_officers_open_household_pages(client, login, make, role, path):
    household = make.household()
    login(role)
    assert client.get(path.format(code=household.code)).status_code == 200


@pytest.mark.parametrize("role", ["donor", "warehouse"])
def test_donors_and_storekeepers_cannot_register_a_household(browser, login, role):
    login(role)
    response = browser.submit("/households/new", _form(), page="/profile")
    assert response.status_code == 403
    assert _households() == []


def test_a_visitor_is_sent_to_the_login_form(client, make):
    household = make.household()
    response = client.get(f"/households/{household.code}")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_registering_needs_the_csrf_token(client, login):
    login("field")
    response = client.post("/households/new", data=_form())
    assert response.status_code == 400
    assert _households() == []


@pytest.mark.parametrize("path", HOUSEHOLD_PAGES)
def test_household_pages_have_no_inline_script_or_style(client, login, make, path):
    household = make.household()
    login("admin")
    html = client.get(path.format(code=household.code)).get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", html)
