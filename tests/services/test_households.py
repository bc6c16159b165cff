"""The household registry's rules: clean values, one household per NIK, look-alikes
confirmed by a person (rule 2 of docs/design.md)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kitlog.extensions import db
from kitlog.models import Household
from kitlog.services import households as hh
from kitlog.services.errors import Duplicate, InvalidValues, NotFound, PossibleDuplicate

TODAY = date(2020, 12, 7)
# Real places (the household's address must be an official one)
WINDUSARI = {"regency": "Kabupaten Magelang", "district": "Windusari", "province": "Jawa Tengah"}
KUBUTAMBAHAN = {
    "province": "Bali",
    "regency": "Kabupaten Buleleng",
    "district": "Kubutambahan",
    "village": "Kubutambahan",
}
NIK = "3507124506850001"


def _refused(cleaner, value, *args, **kwargs) -> str:
    with pytest.raises(hh._Bad) as caught:
        cleaner(value, *args, **kwargs)
    return str(caught.value.message)


# -- NIK -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (NIK, NIK),
        ("3507 1245 0685 0001", NIK),
        ("3507-1245-0685-0001", NIK),
        (" 3507.1245.0685.0001 ", NIK),
        ("3507120106850001", "3507120106850001"),  # a man, born on the 1st
        ("3507127112850001", "3507127112850001"),  # a woman, born on the 31st (71)
        ("9601010101000001", "9601010101000001"),  # Papua Barat Daya
    ],
)
def test_a_nik_is_accepted_in_the_forms_people_write_it(value, expected):
    assert hh.clean_nik(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Enter the NIK"),
        (None, "Enter the NIK"),
        ("350712450685000", "exactly 16 digits"),
        ("35071245068500011", "exactly 16 digits"),
        ("3507124506850OO1", "exactly 16 digits"),
        ("３５０７１２４５０６８５０００１", "exactly 16 digits"),  # full-width digits
        ("9907124506850001", "99 is not one"),
        ("3500124506850001", "never 00"),
        ("3507004506850001", "never 00"),
        ("3507123206850001", "birth date"),  # day 32
        ("3507120013850001", "birth date"),  # day 00
        ("3507124513850001", "birth date"),  # month 13
        ("3507127206850001", "birth date"),  # day 72
        ("3507124506850000", "never 0000"),
    ],
)
def test_an_implausible_nik_is_refused_saying_why(value, message):
    assert message in _refused(hh.clean_nik, value)


def test_a_nik_stored_as_a_spreadsheet_number_is_refused_because_it_lost_digits():
    assert "Store the NIK as text" in _refused(hh.clean_nik, 3507124506850001.0)


# -- phone ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("081234567890", "+6281234567890"),
        ("+6281234567890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("0812 3456 7890", "+6281234567890"),
        ("0812-3456-7890", "+6281234567890"),
        ("+62 812-3456-7890", "+6281234567890"),
        ("(0341) 123456", "+62341123456"),
        (81234567890, "+6281234567890"),  # a spreadsheet number lost the leading 0
        ("", ""),
        (None, ""),
    ],
)
def test_a_phone_number_is_stored_as_plus_62(value, expected):
    assert hh.clean_phone(value) == expected


@pytest.mark.parametrize(
    "value",
    ["12345", "+1 202 555 0100", "0812", "08123456789012345", "0812abc4567", "+620812345678"],
)
def test_a_phone_number_that_is_not_indonesian_is_refused(value):
    assert "Indonesian phone number" in _refused(hh.clean_phone, value)


# -- province and places -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Jawa Timur", "Jawa Timur"),
        ("JAWA  TIMUR", "Jawa Timur"),
        ("jawatimur", "Jawa Timur"),
        ("Jatim", "Jawa Timur"),
        ("35", "Jawa Timur"),
        ("NTB", "Nusa Tenggara Barat"),
        ("ntt", "Nusa Tenggara Timur"),
        ("Provinsi Bali", "Bali"),
        ("DKI", "Daerah Khusus Ibukota Jakarta"),
        ("Yogyakarta", "Daerah Istimewa Yogyakarta"),
        ("DI Yogyakarta", "Daerah Istimewa Yogyakarta"),
        ("96", "Papua Barat Daya"),
    ],
)
def test_a_province_is_known_by_its_name_alias_or_code(value, expected):
    assert hh.clean_province(value) == expected


@pytest.mark.parametrize(("value", "message"), [("", "Choose the province"), ("Atlantis", "38")])
def test_an_unknown_province_is_refused(value, message):
    assert message in _refused(hh.clean_province, value)


def test_there_are_38_provinces_with_unique_codes():
    assert len(hh.PROVINCES) == 38
    assert len({code for code, _ in hh.PROVINCES}) == 38


# -- relation, members, vulnerabilities, consent -------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("spouse", "spouse"),
        ("Istri", "spouse"),
        ("SUAMI", "spouse"),
        ("anak", "child"),
        ("Orang tua", "parent"),
        ("ibu", "parent"),
        ("kakak", "sibling"),
        ("diri sendiri", "self"),
        ("Kepala Keluarga", "self"),
        ("lainnya", "other"),
    ],
)
def test_a_relation_is_understood_in_english_and_indonesian(value, expected):
    assert hh.clean_relation(value) == expected


def test_an_unknown_relation_is_refused_listing_the_known_ones():
    assert "self, spouse, child, parent, sibling or other" in _refused(
        hh.clean_relation, "tetangga"
    )


@pytest.mark.parametrize(
    ("value", "expected"), [(1, 1), ("4", 4), (" 12 ", 12), (50, 50), (3.0, 3)]
)
def test_members_are_a_whole_number_from_1_to_50(value, expected):
    assert hh.clean_members(value) == expected


@pytest.mark.parametrize("value", [0, 51, -1, "", "4.5", 4.5, "empat", True, None])
def test_other_member_counts_are_refused(value):
    assert _refused(hh.clean_members, value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("lansia; balita", ["elderly", "under5"]),
        ("under5;elderly;elderly", ["elderly", "under5"]),
        ("Hamil, Disabilitas", ["disability", "pregnant"]),
        ("", []),
        (None, []),
        (["pregnant"], ["pregnant"]),
    ],
)
def test_vulnerabilities_come_from_a_list_or_one_semicolon_cell(value, expected):
    assert hh.clean_vulnerabilities(value) == expected


def test_an_unknown_vulnerability_is_refused():
    assert "elderly, disability, pregnant or under5" in _refused(
        hh.clean_vulnerabilities, "elderly; tall"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("yes", True),
        ("Ya", True),
        ("TRUE", True),
        ("1", True),
        (1, True),
        (True, True),
        ("no", False),
        ("tidak", False),
        ("false", False),
        ("0", False),
        (0, False),
        (False, False),
    ],
)
def test_consent_words(value, expected):
    assert hh.clean_consent(value) is expected


@pytest.mark.parametrize("value", ["maybe", "2", 2, None])
def test_other_consent_answers_are_refused(value):
    assert "yes or no" in _refused(hh.clean_consent, value)


def test_consent_is_dated_today_unless_given_earlier_and_never_in_the_future():
    assert hh.clean_consent_date(None, consent=True, today=TODAY) == TODAY
    assert hh.clean_consent_date("2020-12-01", consent=True, today=TODAY) == date(2020, 12, 1)
    assert hh.clean_consent_date("2020-12-01", consent=False, today=TODAY) is None
    assert "future" in _refused(hh.clean_consent_date, "2020-12-08", consent=True, today=TODAY)
    assert "YYYY-MM-DD" in _refused(hh.clean_consent_date, "7/12/2020", consent=True, today=TODAY)


def test_a_household_with_many_bad_values_lists_every_one():
    with pytest.raises(InvalidValues) as caught:
        hh.clean_household(
            {"nik": "123", "phone": "1", "province": "x", "members": 0, "consent": "maybe"},
            today=TODAY,
            row=7,
        )
    fields = [e.field for e in caught.value.errors]
    assert fields == [
        "head_name",
        "worker_name",
        "worker_relation",
        "nik",
        "phone",
        "province",  # the address's first unknown place; nothing is looked for below it
        "members",
        "consent",
    ]
    assert {e.row for e in caught.value.errors} == {7}


# -- the registry ----------------------------------------------------------------------------


def test_a_household_is_registered_with_a_new_code_and_clean_values(app, make):
    first = hh.register_household(db.session, make.household_values(), user=None, today=TODAY)
    second = hh.register_household(db.session, make.household_values(), user=None, today=TODAY)
    assert (first.code, second.code) == ("HH-000001", "HH-000002")
    assert first.regency == "Kabupaten Malang"
    assert first.phone.startswith("+62812")
    assert first.consent_date == TODAY


def test_a_registered_nik_is_refused_by_the_service(app, make):
    existing = make.household(nik=NIK)
    with pytest.raises(Duplicate) as caught:
        hh.register_household(
            db.session, make.household_values(nik="3507 1245 0685 0001"), user=None, today=TODAY
        )
    assert caught.value.field == "nik"
    assert existing.code in str(caught.value)
    assert caught.value.extra["existing"] == existing.code


def test_a_registered_nik_is_refused_by_the_database_too(app, make):
    existing = make.household(nik=NIK)
    values = hh.clean_household(make.household_values(nik=NIK), today=TODAY)
    db.session.add(Household(code="HH-900000", **values.columns()))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalars(select(Household.code)).all() == [existing.code]


def test_a_look_alike_needs_confirming(app, make):
    existing = make.household(head_name="Siti Rahayu", village="Sedayu", phone="081298765432")
    # Same name and phone, another village: two of three agree.
    values = make.household_values(head_name="SITI  RAHAYU", phone="+62 812 9876 5432")
    with pytest.raises(PossibleDuplicate) as caught:
        hh.register_household(db.session, values, user=None, today=TODAY)
    assert caught.value.codes == [existing.code]
    db.session.rollback()
    household = hh.register_household(
        db.session, values, user=None, today=TODAY, confirm_duplicate=True
    )
    assert household.code != existing.code


def test_only_one_shared_detail_is_not_a_look_alike(app, make):
    make.household(head_name="Siti Rahayu")
    household = hh.register_household(
        db.session, make.household_values(head_name="Siti Rahayu"), user=None, today=TODAY
    )
    assert household.code == "HH-000002"


def test_a_correction_keeps_the_code_and_refuses_another_households_nik(app, make):
    first, second = make.household(), make.household()
    values = hh.household_values(second)
    hh.update_household(db.session, second, {**values, "members": 7}, user=None)
    assert (second.code, second.members) == ("HH-000002", 7)
    # its own NIK is no duplicate of itself; another household's is
    with pytest.raises(Duplicate):
        hh.update_household(db.session, second, {**values, "nik": first.nik}, user=None)


def test_a_correction_is_not_its_own_look_alike(app, make):
    household = make.household()
    values = hh.household_values(household)
    hh.update_household(db.session, household, {**values, "members": 2}, user=None)
    assert household.members == 2


# -- finding households ----------------------------------------------------------------------


def _found(**kwargs) -> list[str]:
    return list(db.session.scalars(hh.households_query(**kwargs).with_only_columns(Household.code)))


def test_a_code_or_a_whole_nik_finds_exactly_that_household(app, make):
    siti = make.household(head_name="Siti", nik=NIK)
    make.household(head_name="HH-000001 lookalike name")
    assert _found(q="HH-000001") == [siti.code]
    assert _found(q="hh1") == [siti.code]
    assert _found(q="3507 1245 0685 0001") == [siti.code]


def test_other_text_is_found_in_names_and_villages_ignoring_case(app, make):
    a = make.household(head_name="Siti Rahayu", village="Sedayu")
    b = make.household(head_name="Budi", worker_name="Rahayu Putri", village="Turen")
    c = make.household(head_name="Made", village="Bandarsedayu", **WINDUSARI)
    assert _found(q="RAHAYU") == [b.code, a.code]
    assert _found(q="sedayu") == [c.code, a.code]
    assert _found(q="100%") == []  # a LIKE wildcard is just a character


def test_the_province_filter_reads_aliases_and_refuses_unknown_provinces(app, make):
    bali = make.household(**KUBUTAMBAHAN, nik=make.nik("51"))
    make.household()
    assert _found(province="51") == [bali.code]
    assert _found(province="provinsi bali") == [bali.code]
    with pytest.raises(Exception) as caught:
        _found(province="Atlantis")
    assert getattr(caught.value, "field", None) == "province"


def test_an_unknown_household_code_is_not_found(app, make):
    with pytest.raises(NotFound):
        hh.get_household(db.session, "HH-000404")
    with pytest.raises(NotFound):
        hh.get_household(db.session, "not a code")
