"""The household page's collectors: a field officer names one (the form keeps what was
typed when it is refused, the reason next to the field in the page's language), sees
them listed with their NIK masked, removes one, and meets the limit of three."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import Collector
from kitlog.services import collectors
from tests.web.conftest import csrf_token, field_errors, text_of


def _collector(n: int, **values) -> dict:
    """The collector form as an officer fills it in."""
    data = {"name": f"Sri Wahyuni {n}", "relation": "tetangga", "nik": "", "phone": ""}
    data.update(values)
    return {f"collector-{name}": value for name, value in data.items()}


def _add(browser, household, **values):
    path = f"/households/{household.code}"
    return browser.submit(f"{path}/collectors", _collector(1, **values), page=path)


def _active(household) -> list[Collector]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Collector)
            .where(Collector.household_id == household.id, Collector.active)
            .order_by(Collector.id)
        )
    )


def test_a_field_officer_names_a_collector_and_sees_it_listed(browser, login, make):
    household = make.household()
    login("field")
    nik = make.nik()
    response = _add(browser, household, nik=nik, phone="0812 1111 2222", relation="anak")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/households/{household.code}#collectors")
    page = browser.get(response.headers["Location"])
    text = text_of(page)
    assert "Sri Wahyuni 1 may now collect for this household." in text
    assert "Sri Wahyuni 1 · anak" in text
    assert "************" + nik[-4:] in text and nik not in text  # the NIK masked
    assert "+6281211112222" in text
    [collector] = _active(household)
    assert (collector.nik, collector.phone) == (nik, "+6281211112222")


def test_a_refused_collector_shows_the_reason_in_indonesian_and_keeps_what_was_typed(
    browser, login, make
):
    household = make.household()
    login("field", language="id")
    response = _add(browser, household, name="Sri Wahyuni", relation="", nik=household.nik)
    assert response.status_code == 422
    assert field_errors(response, "collector-relation") == (
        "Sebutkan hubungan wakil penerima dengan rumah tangga."
    )
    html = response.get_data(as_text=True)
    assert re.search(r'name="collector-name"[^>]*value="Sri Wahyuni"', html) or re.search(
        r'value="Sri Wahyuni"[^>]*name="collector-name"', html
    )
    # the head's own NIK, once the relation is given
    response = _add(browser, household, relation="anak", nik=household.nik)
    assert response.status_code == 422
    assert field_errors(response, "collector-nik") == (
        "Ini NIK kepala rumah tangga sendiri: kepala rumah tangga tidak memerlukan wakil penerima."
    )
    assert _active(household) == []


def test_the_form_is_hidden_once_three_collectors_are_named(browser, login, make):
    household = make.household()
    for n in range(3):
        collectors.add_collector(
            db.session, household, {"name": f"Wakil {n}", "relation": "anak"}, user=None
        )
    db.session.commit()
    login("field", language="id")
    page = browser.get(f"/households/{household.code}")
    text = text_of(page)
    assert "Rumah tangga ini sudah menunjuk 3 wakil penerima" in text
    assert 'name="collector-name"' not in page.get_data(as_text=True)
    # a fourth sent anyway (another officer's page, opened earlier) is refused
    token = csrf_token(page.get_data(as_text=True))
    response = browser.client.post(
        f"/households/{household.code}/collectors", data={**_collector(4), "csrf_token": token}
    )
    assert response.status_code == 422
    assert "paling banyak 3 wakil penerima" in text_of(response)
    assert len(_active(household)) == 3


def test_a_collector_is_removed_after_confirming(browser, login, make):
    household = make.household()
    kept = collectors.add_collector(
        db.session, household, {"name": "Budi Santoso", "relation": "anak"}, user=None
    )
    gone = collectors.add_collector(
        db.session, household, {"name": "Ani Lestari", "relation": "tetangga"}, user=None
    )
    db.session.commit()
    login("field")
    path = f"/households/{household.code}"
    html = browser.get(path).get_data(as_text=True)
    action = f"{path}/collectors/{gone.id}/remove"
    form = re.search(
        rf'<form method="post" action="{re.escape(action)}" data-confirm="([^"]+)"', html
    )
    assert form and "Remove Ani Lestari?" in form.group(1)
    response = browser.submit(action, {}, page=path)
    assert response.status_code == 302
    page = browser.get(response.headers["Location"])
    assert "Ani Lestari no longer collects for this household." in text_of(page)
    assert action not in page.get_data(as_text=True)  # no longer listed
    assert f"{path}/collectors/{kept.id}/remove" in page.get_data(as_text=True)
    assert [c.id for c in _active(household)] == [kept.id]
    assert db.session.get(Collector, gone.id).deactivated_at is not None


def test_another_households_collector_cannot_be_removed_from_this_page(browser, login, make):
    ours, theirs = make.household(), make.household()
    collector = collectors.add_collector(
        db.session, theirs, {"name": "Ani Lestari", "relation": "tetangga"}, user=None
    )
    db.session.commit()
    login("field")
    path = f"/households/{ours.code}"
    response = browser.submit(f"{path}/collectors/{collector.id}/remove", {}, page=path)
    assert response.status_code == 404
    assert len(_active(theirs)) == 1


@pytest.mark.parametrize("role", ["warehouse", "donor"])
def test_the_warehouse_and_donors_cannot_name_collectors(browser, login, make, role):
    household = make.household()
    login(role)
    token = csrf_token(browser.get("/profile").get_data(as_text=True))
    response = browser.client.post(
        f"/households/{household.code}/collectors", data={**_collector(1), "csrf_token": token}
    )
    assert response.status_code == 403
    assert _active(household) == []
