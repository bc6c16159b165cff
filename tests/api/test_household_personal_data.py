"""Households' personal data in bulk: lists mask the NIK and the phone, every read is
logged, and a user reads at most so many households' records an hour (429 past that)."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import AuditEvent
from kitlog.models.base import utcnow
from kitlog.services import personal_data
from tests.api.helpers import assert_problem
from tests.web.conftest import text_of

NIK = "3507124506850001"


def _events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def _plant_reads(user, count: int, *, minutes_ago: int = 1) -> None:
    """`count` households' records already read by this user, `minutes_ago` minutes ago."""
    db.session.add(
        AuditEvent(
            action="households.list",
            object_type="household",
            detail=json.dumps({"count": count, "page": 1, "per_page": 500, "filter": {}}),
            user_id=user.id,
            role=user.role,
            created_at=utcnow() - timedelta(minutes=minutes_ago),
        )
    )
    db.session.commit()


def _token_client(api, make, role: str, language: str = "en"):
    user = make.user(role, language=language)
    client = api(None, language)
    client.headers["Authorization"] = f"Bearer {make.token(user)}"
    return user, client


# -- masking -------------------------------------------------------------------------------


def test_a_list_masks_the_nik_and_phone_and_the_record_has_them_in_full(api, make):
    household = make.household(nik=NIK, phone="0812-3456-5678")
    client = api("field")

    listed = client.get("/api/v1/households", query_string={"per_page": 500}).get_json()
    item = listed["items"][0]
    assert item["code"] == household.code
    assert item["nik"] == "************0001"
    assert item["phone"] == "+62*******5678"
    assert NIK not in json.dumps(listed) and "+6281234565678" not in json.dumps(listed)

    record = client.get(f"/api/v1/households/{household.code}").get_json()
    assert record["nik"] == NIK
    assert record["phone"] == "+6281234565678"


def test_a_household_without_a_phone_lists_an_empty_phone(api, make):
    make.household(phone="")
    item = api("field").get("/api/v1/households").get_json()["items"][0]
    assert item["phone"] == ""
    assert item["nik"].startswith("************")


def test_searching_by_nik_still_finds_the_household_through_the_api_and_the_pages(
    api, make, client, auth
):
    household = make.household(nik=NIK)
    make.household()
    found = api("field").get("/api/v1/households", query_string={"q": NIK}).get_json()
    assert [item["code"] for item in found["items"]] == [household.code]

    auth.login("field", language="en")
    page = client.get("/households/", query_string={"q": "3507 1245 0685 0001"})
    assert page.status_code == 200
    assert household.code in text_of(page) and household.head_name in text_of(page)


def test_the_openapi_document_says_lists_mask_the_nik_and_phone(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    household = spec["components"]["schemas"]["Household"]["properties"]
    assert "masked" in household["nik"]["description"]
    assert "masked" in household["phone"]["description"]
    listing = spec["paths"]["/api/v1/households"]["get"]["responses"]
    assert "429" in listing and "masked" in listing["200"]["description"]


# -- the audit log -------------------------------------------------------------------------


def test_each_list_page_read_is_logged_with_who_how_many_and_the_filter(api, make):
    for _ in range(3):
        make.household(province="Jawa Timur")
    user, client = _token_client(api, make, "field")

    client.get(
        "/api/v1/households",
        query_string={"per_page": 2, "page": 2, "province": "Jatim", "q": "siti"},
    )
    [event] = _events("households.list")
    assert event.user_id == user.id and event.role == "field"
    detail = json.loads(event.detail)
    assert detail == {
        "count": 1,
        "page": 2,
        "per_page": 2,
        "filter": {"search": "text", "province": "Jatim"},
    }


def test_a_nik_search_is_logged_as_a_nik_search_without_the_nik(api, make):
    household = make.household(nik=NIK)
    _user, client = _token_client(api, make, "field")

    client.get("/api/v1/households", query_string={"q": NIK})
    client.get("/api/v1/households", query_string={"q": household.code})
    nik_search, code_search = _events("households.list")
    assert json.loads(nik_search.detail)["filter"] == {"search": "nik"}
    assert NIK not in nik_search.detail and "0001" not in nik_search.detail
    assert json.loads(code_search.detail)["filter"] == {"code": household.code}


def test_the_household_pages_log_each_list_page_and_each_record_opened(client, auth, make):
    household = make.household(nik=NIK)
    user = auth.login("field", language="en")

    assert client.get("/households/", query_string={"q": NIK}).status_code == 200
    assert client.get(f"/households/{household.code}").status_code == 200
    [listed] = _events("households.list")
    assert listed.user_id == user.id
    assert json.loads(listed.detail)["count"] == 1
    assert json.loads(listed.detail)["filter"] == {"search": "nik"}
    assert NIK not in listed.detail
    [viewed] = [e for e in _events("household.view") if e.user_id == user.id]
    assert viewed.object_ref == household.code


# -- the hourly limit ----------------------------------------------------------------------


def test_a_field_officer_past_500_records_an_hour_gets_429_with_retry_after(api, make):
    household = make.household()
    user, client = _token_client(api, make, "field")
    _plant_reads(user, 500, minutes_ago=30)

    listing = client.get("/api/v1/households")
    problem = assert_problem(listing, 429)
    assert "500 households in the last hour" in problem["detail"]
    # room comes back when the reads of 30 minutes ago are an hour old
    assert 1700 <= int(listing.headers["Retry-After"]) <= 1800
    assert_problem(client.get(f"/api/v1/households/{household.code}"), 429)
    # a refused read shows nothing and logs no read
    assert household.head_name not in listing.get_data(as_text=True)
    assert [e.user_id for e in _events("households.list")] == [user.id]  # only the planted one


def test_a_page_that_would_pass_the_limit_is_refused_and_one_within_it_is_answered(api, make):
    for _ in range(3):
        make.household()
    user, client = _token_client(api, make, "field")
    _plant_reads(user, 498)

    assert_problem(client.get("/api/v1/households"), 429)  # 498 + 3 > 500
    assert client.get("/api/v1/households", query_string={"per_page": 2}).status_code == 200


def test_reads_older_than_an_hour_no_longer_count(api, make):
    make.household()
    user, client = _token_client(api, make, "field")
    _plant_reads(user, 500, minutes_ago=61)
    assert client.get("/api/v1/households").status_code == 200


def test_the_limit_is_each_users_own(api, make):
    make.household()
    officer, _client = _token_client(api, make, "field")
    _plant_reads(officer, 500)
    assert api("field").get("/api/v1/households").status_code == 200


def test_an_administrator_has_a_higher_limit(api, make):
    make.household()
    admin, client = _token_client(api, make, "admin")
    _plant_reads(admin, 500)
    assert client.get("/api/v1/households").status_code == 200
    _plant_reads(admin, personal_data.ADMIN_READS_PER_HOUR - 500)
    assert_problem(client.get("/api/v1/households"), 429)


def test_the_429_speaks_the_users_language(api, make):
    make.household()
    user, client = _token_client(api, make, "field", language="id")
    _plant_reads(user, 500)
    problem = assert_problem(client.get("/api/v1/households"), 429)
    assert "500 rumah tangga dalam satu jam terakhir" in problem["detail"]


def test_the_household_pages_answer_429_with_retry_after_in_indonesian(client, auth, make):
    household = make.household()
    user = auth.login("field", language="id")
    _plant_reads(user, 500)

    for path in ("/households/", f"/households/{household.code}"):
        response = client.get(path)
        assert response.status_code == 429, path
        assert int(response.headers["Retry-After"]) > 0
        text = text_of(response)
        assert "500 rumah tangga dalam satu jam terakhir" in text
        assert household.head_name not in text
