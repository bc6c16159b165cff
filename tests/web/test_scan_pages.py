"""The scan station without JavaScript, who may use it, and the service worker it serves.

Without JavaScript the station is a plain form: Enter POSTs the code and the page comes
back with the result. The form carries an idempotency key the server made, so sending the
same form twice repeats the first answer instead of scanning again.
"""

from __future__ import annotations

import json
import re
import shutil
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import Parcel, Scan
from kitlog.services import manifests as manifest_service
from kitlog.services.parcel_codes import format_short_code
from tests.web.conftest import csrf_token, text_of

KEY_RE = re.compile(r'name="key"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="key"')


def allocated_parcels(make, count: int) -> list[Parcel]:
    return make.allocated_parcels(count)


def form_of(response) -> dict:
    html = response.get_data(as_text=True)
    match = KEY_RE.search(html)
    assert match, "the station form carries no idempotency key"
    return {"csrf_token": csrf_token(html), "key": match.group(1) or match.group(2)}


def scan_count() -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(Scan))


def parcel_now(parcel_id: int) -> Parcel:
    db.session.commit()
    return db.session.get(Parcel, parcel_id, populate_existing=True)


@pytest.mark.parametrize(
    ("role", "status"), [("admin", 200), ("warehouse", 200), ("field", 403), ("donor", 403)]
)
def test_the_station_is_for_the_warehouse_and_the_admin(client, login, role, status):
    login(role)
    response = client.get("/scan/")
    assert response.status_code == status
    if status == 200:
        assert 'name="code"' in response.get_data(as_text=True)


def test_a_field_officer_cannot_record_a_station_scan(client, login, make):
    (parcel,) = allocated_parcels(make, 1)
    login("field")
    token = csrf_token(client.get("/profile").get_data(as_text=True))
    response = client.post(
        "/scan/",
        data={"csrf_token": token, "mode": "pack", "code": parcel.short_code, "key": "a" * 32},
    )
    assert response.status_code == 403
    assert scan_count() == 0
    assert parcel_now(parcel.id).status == "allocated"


def test_a_visitor_who_is_not_logged_in_is_sent_to_the_login_form(client):
    response = client.get("/scan/")
    assert response.status_code in (302, 303)
    assert urlsplit(response.headers["Location"]).path in ("/", "/login")


def test_the_plain_form_packs_a_parcel_and_a_resent_form_is_a_duplicate(client, login, make):
    (parcel,) = allocated_parcels(make, 1)
    login("warehouse")
    page = client.get("/scan/")
    form = form_of(page)
    data = {**form, "mode": "pack", "code": format_short_code(parcel.short_code)}

    response = client.post("/scan/", data=data)
    assert response.status_code == 200
    text = text_of(response)
    assert "Packed" in text
    assert format_short_code(parcel.short_code) in text
    assert parcel_now(parcel.id).status == "packed"
    assert scan_count() == 1
    # The next scan gets a fresh key and an empty input, in the same mode.
    assert form_of(response)["key"] != form["key"]
    assert re.search(r'name="code"[^>]*value=""', response.get_data(as_text=True))
    assert re.search(r'checked[^>]*value="pack"', response.get_data(as_text=True))

    again = client.post("/scan/", data=data)  # the same form sent twice
    assert "Already recorded" in text_of(again)
    assert scan_count() == 1

    new_attempt = client.post("/scan/", data={**data, **form_of(again)})
    text = text_of(new_attempt)
    assert "Refused" in text
    assert "Already packed" in text
    assert scan_count() == 2
    assert parcel_now(parcel.id).status == "packed"
    # The last scans, newest first, with their outcomes.
    recent = re.findall(r'class="recent-item recent-(\w+)"', new_attempt.get_data(as_text=True))
    assert recent == ["bad", "ok"]


def test_an_unknown_code_is_recorded_and_shown_as_unknown(client, login):
    login("warehouse")
    form = form_of(client.get("/scan/"))
    response = client.post("/scan/", data={**form, "mode": "pack", "code": "ZZZ-ZZZ-ZZZ"})
    assert "Unknown code" in text_of(response)
    assert scan_count() == 1


def test_loading_needs_an_open_manifest_and_the_station_can_open_preset_to_one(client, login, make):
    (parcel,) = allocated_parcels(make, 1)
    user = login("warehouse")
    form = form_of(client.get("/scan/"))
    client.post("/scan/", data={**form, "mode": "pack", "code": parcel.short_code})
    assert parcel_now(parcel.id).status == "packed"

    form = form_of(client.get("/scan/"))
    refused = client.post("/scan/", data={**form, "mode": "load", "code": parcel.short_code})
    assert refused.status_code == 422
    assert "Choose the manifest to load onto." in text_of(refused)

    parcel = parcel_now(parcel.id)
    manifest = manifest_service.create_manifest(
        db.session,
        warehouse=parcel.round.warehouse,
        destination="Desa Sedayu",
        vehicle="L 1234 AB",
        driver_name="Budi",
        user=user,
    )
    db.session.commit()
    page = client.get(f"/scan/?mode=load&manifest={manifest.id}")
    html = page.get_data(as_text=True)
    assert re.search(r'checked[^>]*value="load"', html)
    option = rf'selected[^>]*value="{manifest.id}"|value="{manifest.id}"[^>]*selected'
    assert re.search(option, html)
    assert manifest.number in html

    data = {**form_of(page), "mode": "load", "manifest": manifest.id, "code": parcel.short_code}
    loaded = client.post("/scan/", data=data)
    assert "Loaded onto the manifest" in text_of(loaded)
    assert parcel_now(parcel.id).manifest_id == manifest.id


def test_the_service_worker_is_public_scoped_to_the_site_and_never_cached(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    for url in (
        "/scan/",
        "/offline",
        "/static/css/kitlog.css",
        "/static/js/outbox.js",
        "/static/js/parcel_actions.js",
        "/static/vendor/barcode-detector/polyfill.js",
        "/static/vendor/zxing-wasm/zxing_reader.wasm",
    ):
        assert f'"{url}"' in body, url


def test_the_service_worker_keeps_the_survey_list_and_every_survey_page_it_fetches(client):
    body = client.get("/sw.js").get_data(as_text=True)
    page_urls = json.loads(re.search(r"var PAGE_URLS = (\[.*?\]);", body).group(1))
    assert "/pdm/" in page_urls
    assert 'var SURVEY_PREFIX = "/pdm/survey/";' in body


def test_the_offline_page_names_no_user(client, auth):
    user = auth.login("warehouse")
    page = client.get("/offline")
    assert page.status_code == 200
    assert user.name not in page.get_data(as_text=True)
    assert "/logout" not in page.get_data(as_text=True)


def test_a_deploy_that_changes_a_precached_file_changes_the_worker(app, client, tmp_path):
    static = tmp_path / "static"
    shutil.copytree(app.static_folder, static)
    app.static_folder = str(static)

    def version() -> str:
        body = client.get("/sw.js").get_data(as_text=True)
        return re.search(r'var VERSION = "([0-9a-f]+)"', body).group(1)

    before = version()
    assert version() == before
    css = static / "css" / "kitlog.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n/* a deploy */\n", encoding="utf-8")
    assert version() != before
