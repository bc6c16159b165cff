"""The note an officer types with a failed delivery may hold a NIK or a phone number: it
is shown to administrators and field officers, and on no page, answer or document a
warehouse user can reach."""

from __future__ import annotations

import re
import secrets

import pytest

from kitlog.services.parcel_codes import format_short_code
from tests.documents.pdf import page_texts
from tests.worlds import DoorWorld

NOTE = "Tetangga: NIK 3507120101859999, telepon 0812 7777 4321"


@pytest.fixture
def failed(make):
    """A dispatched parcel whose delivery failed with a note, on its manifest."""
    world = DoorWorld(make)
    parcel = world.parcels[0]
    manifest = world.dispatch([parcel])
    officer = make.user("field", email="ani@example.org")
    world.scan(parcel, "fail", user=officer, reason="nobody_home", note=NOTE)
    return world, parcel, manifest


def _get_pages(failed) -> dict[str, str]:
    world, parcel, manifest = failed
    return {
        "parcel page (QR)": f"/p/{parcel.token}",
        "round's parcel page": f"/rounds/{world.round.id}/parcels/{parcel.id}",
        "round page": f"/rounds/{world.round.id}",
        "manifest page": f"/manifests/{manifest.id}",
        "close page": f"/manifests/{manifest.id}/close",
        "scan station": "/scan/",
        "API parcel": f"/api/v1/parcels/{parcel.token}",
        "API parcel by code": f"/api/v1/parcels/{format_short_code(parcel.short_code)}",
        "API manifest": f"/api/v1/manifests/{manifest.id}",
        "API round's parcels": f"/api/v1/rounds/{world.round.id}/parcels",
    }


# Where the note belongs, for those who may read households.
SHOWN_TO_READERS = {"parcel page (QR)", "round's parcel page", "API parcel", "API parcel by code"}


def _holds_note(body: str) -> bool:
    """The note, or its NIK or phone, anywhere in a page or answer (escaped or not)."""
    return any(part in body for part in (NOTE, "3507120101859999", "0812 7777 4321"))


@pytest.mark.parametrize("role", ["warehouse", "admin", "field"])
def test_the_note_is_on_no_page_or_answer_a_warehouse_user_reaches(client, auth, failed, role):
    auth.login(role, language="en")
    for name, path in _get_pages(failed).items():
        response = client.get(path)
        if response.status_code == 403:
            assert role != "admin", name  # an admin reaches every one of them
            continue
        assert response.status_code == 200, (name, response.status_code)
        body = response.get_data(as_text=True)
        if role == "warehouse" or name not in SHOWN_TO_READERS:
            assert not _holds_note(body), (role, name)
        else:
            assert NOTE in body, (role, name)


def test_a_warehouse_users_return_scan_answers_without_the_note(api, failed):
    _world, parcel, manifest = failed
    answer = api("warehouse").post(
        "/api/v1/scans",
        json={"code": parcel.token, "action": "return", "idempotency_key": secrets.token_hex(8)},
    )
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_data(as_text=True)
    history = answer.get_json()["parcel"]["history"]
    assert [event["status"] for event in history][-2:] == ["failed", "returned"]
    assert not _holds_note(body)
    # kitlog's own notes still reach the warehouse: the manifest the parcel was loaded on
    assert re.fullmatch(r"SBY-01/\d{4}/0001", manifest.number)
    assert any(event["note"] == manifest.number for event in history)


def test_an_admins_scan_answer_keeps_the_note(api, failed):
    _world, parcel, _manifest = failed
    answer = api("admin").post(
        "/api/v1/scans",
        json={"code": parcel.token, "action": "return", "idempotency_key": secrets.token_hex(8)},
    )
    assert NOTE in [event["note"] for event in answer.get_json()["parcel"]["history"]]


def test_the_scan_station_answer_for_the_failed_parcel_holds_no_note(client, auth, failed):
    _world, parcel, _manifest = failed
    auth.login("warehouse", language="en")
    page = client.get("/scan/").get_data(as_text=True)
    key = re.search(r'name="key"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="key"', page
    )
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    response = client.post(
        "/scan/",
        data={
            "csrf_token": token.group(1),
            "key": key.group(1),
            "mode": "return",
            "code": format_short_code(parcel.short_code),
        },
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert format_short_code(parcel.short_code) in body
    assert not _holds_note(body)


def test_the_printed_manifest_carries_no_note(client, auth, failed):
    _world, _parcel, manifest = failed
    for role in ("warehouse", "admin"):
        auth.login(role, language="en")
        response = client.get(f"/manifests/{manifest.id}.pdf")
        assert response.status_code == 200
        text = " ".join(page_texts(response.data))
        assert re.fullmatch(r"SBY-01/\d{4}/0001", manifest.number) and manifest.number in text
        assert not _holds_note(text) and "7777" not in text
        auth.logout()
