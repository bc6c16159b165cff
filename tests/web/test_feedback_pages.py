"""The feedback pages: the list oldest first with the days open, sensitive entries hidden
from a field officer and their reading by an administrator audited, the administrator's
answer, and the hotline form refusing bad input in Indonesian and keeping what was typed."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import AuditEvent, Feedback
from kitlog.services import feedback as service
from tests.web.conftest import field_errors, text_of

EARLY = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
LATER = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _record(user, at=LATER, **values):
    values = {"category": "damaged", "channel": "officer", "text": "Sabun pecah", **values}
    entry = service.record_feedback(db.session, values, user=user, now=at).feedback
    db.session.commit()
    return entry


def _reads() -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "feedback.sensitive_read")
            .order_by(AuditEvent.id)
        )
    )


def test_the_admin_list_shows_open_feedback_oldest_first_with_days_open(browser, login, make):
    officer = make.user("field")
    later = _record(officer)
    early = _record(officer, at=EARLY, category="staff_conduct", text="Petugas kasar")
    done = _record(officer, text="Sudah beres")
    service.change_status(db.session, done, "resolved", "Diganti", user=None)
    db.session.commit()
    login("admin")
    page = browser.get("/feedback/")
    assert page.status_code == 200
    text = text_of(page)
    assert text.index(early.number) < text.index(later.number)
    assert done.number not in text  # resolved: not waiting
    assert "Staff conduct" in text and "Sensitive" in text
    html = page.get_data(as_text=True)
    days = service.days_open(early, datetime.now(UTC))
    assert f"data-days-open>{days:,}</td>" in html  # an English page: 1,431 days
    assert "Petugas kasar" not in text  # the list shows no text
    [read] = _reads()
    assert json.loads(read.detail) == {"numbers": [early.number]}
    everything = text_of(browser.get("/feedback/?status=all"))
    assert done.number in everything


def test_a_field_officer_never_sees_a_sensitive_entry(browser, login, make):
    officer = login("field")
    mine = _record(officer)
    secret = _record(officer, sensitive=True, text="Rahasia sekali")
    text = text_of(browser.get("/feedback/"))
    assert mine.number in text and secret.number not in text
    assert browser.get(f"/feedback/{secret.number}").status_code == 404
    shown = browser.get(f"/feedback/{mine.number}")
    assert shown.status_code == 200 and "Sabun pecah" in text_of(shown)
    assert "Answer it" not in text_of(shown)  # the answer is the administrator's
    assert _reads() == []


def test_an_admin_reading_a_sensitive_entry_is_audited(browser, login, make):
    household = make.household()
    entry = _record(
        make.user("field"), category="staff_conduct", text="Minta uang", household=household.code
    )
    admin = login("admin")
    page = browser.get(f"/feedback/{entry.number}")
    assert page.status_code == 200
    text = text_of(page)
    assert "Minta uang" in text and household.code in text
    assert f'href="/households/{household.code}"' in page.get_data(as_text=True)
    [read] = _reads()
    assert (read.user_id, read.object_ref) == (admin.id, entry.number)
    assert "Minta uang" not in read.detail


def test_the_admin_answers_with_the_status_form(browser, login, make):
    entry = _record(make.user("field"))
    admin = login("admin")
    admin.name = "Dewi Lestari"
    db.session.commit()
    path = f"/feedback/{entry.number}"
    refused = browser.submit(f"{path}/status", {"status": "resolved", "response": ""}, page=path)
    assert refused.status_code == 422
    assert "a response is needed" in field_errors(refused, "response")
    saved = browser.submit(
        f"{path}/status",
        {"status": "resolved", "response": "Kit baru diantar"},
        page=path,
    )
    assert saved.status_code == 302
    text = text_of(browser.get(saved.headers["Location"]))
    assert f"Feedback {entry.number} is saved." in text
    assert "Resolved" in text and "Kit baru diantar" in text and "by Dewi Lestari" in text
    db.session.expire_all()
    assert db.session.get(Feedback, entry.id).resolved_at is not None


def test_the_hotline_form_refuses_bad_input_in_indonesian_and_keeps_what_was_typed(
    browser, login, make
):
    login("admin", language="id")
    form = browser.get("/feedback/new")
    assert "data-feedback-form" in form.get_data(as_text=True)
    assert "Catat masukan" in text_of(form)
    refused = browser.submit(
        "/feedback/new",
        {
            "channel": "phone",
            "category": "not_received",
            "household": "HH-999999",
            "text": "Belum dapat paket sejak minggu lalu",
        },
    )
    assert refused.status_code == 422
    assert "Tidak ada rumah tangga HH-999999." in field_errors(refused, "household")
    html = refused.get_data(as_text=True)
    assert "Belum dapat paket sejak minggu lalu" in html
    assert 'value="HH-999999"' in html
    assert db.session.scalar(select(func.count()).select_from(Feedback)) == 0
    household = make.household()
    saved = browser.submit(
        "/feedback/new",
        {
            "channel": "phone",
            "category": "not_received",
            "household": household.code,
            "text": "Belum dapat paket",
        },
    )
    assert saved.status_code == 302
    entry = db.session.scalars(select(Feedback)).one()
    assert entry.channel == "phone" and entry.household_id == household.id
    assert saved.headers["Location"].endswith(f"/feedback/{entry.number}")
    shown = text_of(browser.get(saved.headers["Location"]))
    assert f"Masukan {entry.number} sudah dicatat." in shown


def test_the_household_page_offers_to_record_feedback(browser, login, make):
    household = make.household()
    login("field")
    page = browser.get(f"/households/{household.code}").get_data(as_text=True)
    assert f'href="/feedback/new?household={household.code}"' in page
    form = browser.get(f"/feedback/new?household={household.code}").get_data(as_text=True)
    assert f'value="{household.code}"' in form


def test_no_export_nor_the_audit_log_carries_the_feedbacks_text(browser, login, make):
    household = make.household()
    secret = "Petugas XQZ meminta uang"
    _record(make.user("field"), category="staff_conduct", text=secret, household=household.code)
    _record(make.user("field"), text="Sabun XQZ pecah", household=household.code)
    login("admin")
    assert browser.get("/feedback/").status_code == 200  # a sensitive read, logged
    export = browser.get("/households/export.csv")
    assert export.status_code == 200 and household.code in export.get_data(as_text=True)
    assert "XQZ" not in export.get_data(as_text=True)
    log = browser.get("/admin/audit")
    assert "Sensitive feedback read" in text_of(log)
    assert "XQZ" not in log.get_data(as_text=True)
