"""The import pages: upload, preview with every bad row, confirm, progress, done; only
the uploader (or an admin) sees an import; a broken or too large file changes nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from kitlog.extensions import db
from kitlog.models import Household, HouseholdImport
from kitlog.models.base import utcnow
from kitlog.services import imports
from tests.web.conftest import csrf_token, text_of
from tests.web.pages import UPLOAD, post_form, upload, wait_until_settled
from tests.worlds import csv_file, nik_number, row_values, xlsx_file


@pytest.fixture
def inline(app):
    """The job runs inside the request (the threaded path has its own tests below)."""
    app.config["IMPORTS_IN_BACKGROUND"] = False
    return app


def household_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Household))


def figures(response) -> dict[str, str]:
    html = response.get_data(as_text=True)
    pairs = re.findall(r"<dt>(.*?)</dt>\s*<dd><span class=\"figure-value\">(.*?)</span>", html)
    return dict(pairs)


def test_upload_preview_confirm_progress_done_in_english_through_the_background_job(
    client, auth, app
):
    assert app.config.get("IMPORTS_IN_BACKGROUND", True)  # the real, threaded path
    auth.login("field", language="en")
    rows = [row_values(i) for i in range(30)]
    response = upload(client, xlsx_file(rows), "desa-sedayu.xlsx")
    assert response.status_code == 302
    page = response.headers["Location"]
    preview = wait_until_settled(client, page)
    text = text_of(preview)
    assert figures(preview) == {"Rows": "30", "Good rows": "30", "Rows with problems": "0"}
    assert "Every row is good" in text and "30 households will be registered" in text
    assert household_count() == 0  # nothing before the confirmation

    job_id = int(page.rsplit("/", 1)[1])
    response = post_form(client, page, f"/households/imports/{job_id}/confirm")
    assert response.status_code == 302
    done = wait_until_settled(client, page)
    assert "30 households were imported." in text_of(done)
    assert household_count() == 30
    job = db.session.get(HouseholdImport, job_id)
    assert (job.status, job.imported_rows, job.content) == ("done", 30, None)
    assert (
        db.session.scalar(
            select(func.count()).select_from(Household).where(Household.import_id == job_id)
        )
        == 30
    )


def test_the_same_flow_in_indonesian(client, auth, inline):
    user = auth.login("field", language="id")
    rows = [row_values(i) for i in range(5)]
    response = upload(client, csv_file(rows), "rumah-tangga.csv")
    page = response.headers["Location"]
    preview = client.get(page)
    html = preview.get_data(as_text=True)
    assert '<html lang="id">' in html
    assert [v for v in figures(preview).values()] == ["5", "5", "0"]
    job_id = int(page.rsplit("/", 1)[1])
    assert f'action="/households/imports/{job_id}/confirm"' in html
    post_form(client, page, f"/households/imports/{job_id}/confirm")
    done = client.get(page)
    assert "Refresh" not in done.headers
    assert 'href="/households/"' in done.get_data(as_text=True)
    assert household_count() == 5
    assert db.session.get(HouseholdImport, job_id).language == "id"
    assert {h.created_by_id for h in db.session.scalars(select(Household))} == {user.id}


def test_the_preview_lists_every_bad_row_and_offers_no_confirmation(client, auth, inline):
    auth.login("field", language="en")
    rows = [row_values(i) for i in range(10)]
    rows[2]["members"] = "0"
    rows[6].update(nik="123", province="Atlantis")
    rows[8]["nik"] = rows[0]["nik"]
    response = upload(client, csv_file(rows, header=(*rows[0], "notes")), "h.csv")
    preview = client.get(response.headers["Location"])
    html = preview.get_data(as_text=True)
    text = text_of(preview)
    assert figures(preview) == {"Rows": "10", "Good rows": "6", "Rows with problems": "4"}
    listed = re.findall(
        r"<th scope=\"row\" class=\"num\">Row (\d+)</th>\s*<td[^>]*><code>(\w+)", html
    )
    assert listed == [
        ("2", "nik"),
        ("4", "members"),
        ("8", "nik"),
        ("8", "province"),
        ("10", "nik"),
    ]
    assert "The same NIK as row 10." in text and "The same NIK as row 2." in text
    assert "Nothing can be imported until every row is good." in text
    assert "Fix the rows listed below in your file, then upload it again." in text
    assert "/confirm" not in html
    assert "ignored: notes" in text
    assert household_count() == 0


def test_a_nik_already_registered_is_shown_with_the_household_code(client, auth, make, inline):
    registered = make.household(nik=nik_number(1))
    auth.login("field", language="en")
    response = upload(client, csv_file([row_values(0), row_values(1)]), "h.csv")
    text = text_of(client.get(response.headers["Location"]))
    assert f"Row 3 nik Already registered as {registered.code}." in text
    assert household_count() == 1


BROKEN = [
    (b"", "h.csv", "The file is empty."),
    (b"%PDF-1.4", "h.pdf", "CSV (UTF-8) or XLSX"),
    (xlsx_file([row_values(0)]), "h.csv", "Rename it to .xlsx"),
    (csv_file([row_values(0)], encoding="utf-16"), "h.csv", "UTF-16"),
    (csv_file([row_values(0, head_name="Dédé")], encoding="cp1252"), "h.csv", "UTF-8"),
    (b"head_name,nik\r\nSiti,3507\r\n", "h.csv", "These columns are missing: worker_name"),
]


@pytest.mark.parametrize(("content", "filename", "says"), BROKEN)
def test_a_broken_file_is_refused_on_the_upload_page_and_changes_nothing(
    client, auth, content, filename, says
):
    auth.login("field", language="en")
    response = upload(client, content, filename)
    assert response.status_code == 422
    assert says in text_of(response)
    assert 'id="file-error"' in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(HouseholdImport)) == 0
    assert household_count() == 0


def test_a_file_with_no_data_rows_fails_with_a_message(client, auth, inline):
    auth.login("field", language="en")
    response = upload(client, csv_file([]), "h.csv")
    text = text_of(client.get(response.headers["Location"]))
    assert "Nothing was imported." in text and "no households under them" in text


def test_posting_without_a_file_asks_for_one(client, auth):
    auth.login("field", language="en")
    token = csrf_token(client.get(UPLOAD).get_data(as_text=True))
    response = client.post(UPLOAD, data={"csrf_token": token})
    assert response.status_code == 422
    assert "Choose the file to import." in text_of(response)


def test_a_file_over_20_mb_gets_a_clear_413_on_the_page(client, auth):
    auth.login("field", language="en")
    response = upload(client, b"x" * (imports.MAX_UPLOAD_BYTES + 10), "big.csv")
    assert response.status_code == 413
    assert "The file is larger than 20 MB." in text_of(response)
    response = upload(client, b"x" * (imports.MAX_UPLOAD_BYTES + 200_000), "bigger.csv")
    assert response.status_code == 413
    assert "The file is larger than 20 MB." in text_of(response)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(HouseholdImport)) == 0


def test_another_field_officer_cannot_see_someone_elses_import(client, auth, inline):
    auth.login("field", language="en")
    page = upload(client, csv_file([row_values(0)]), "h.csv").headers["Location"]
    job_id = int(page.rsplit("/", 1)[1])
    auth.logout()
    auth.login("field", language="en")
    assert client.get(page).status_code == 404
    response = post_form(client, UPLOAD, f"/households/imports/{job_id}/confirm")
    assert response.status_code == 404
    assert household_count() == 0
    auth.logout()
    auth.login("admin", language="en")
    assert client.get(page).status_code == 200


@pytest.mark.parametrize("role", ["warehouse", "donor"])
def test_roles_without_the_import_permission_are_refused(client, auth, role):
    auth.login(role, language="en")
    for path in (UPLOAD, "/households/imports/template.xlsx", "/households/imports/1"):
        assert client.get(path).status_code == 403


def test_cancelling_forgets_the_file_and_imports_nothing(client, auth, inline):
    auth.login("field", language="en")
    page = upload(client, csv_file([row_values(0)]), "h.csv").headers["Location"]
    job_id = int(page.rsplit("/", 1)[1])
    assert db.session.get(HouseholdImport, job_id).content is not None
    response = post_form(client, page, f"/households/imports/{job_id}/cancel")
    assert response.headers["Location"].endswith(UPLOAD)
    db.session.rollback()
    job = db.session.get(HouseholdImport, job_id)
    assert (job.status, job.content) == ("cancelled", None)
    assert "/confirm" not in client.get(page).get_data(as_text=True)
    response = post_form(client, UPLOAD, f"/households/imports/{job_id}/confirm")
    assert household_count() == 0


def test_a_job_silent_for_minutes_is_shown_as_interrupted_with_nothing_imported(
    client, auth, make, inline
):
    user = auth.login("field", language="en")
    job = HouseholdImport(
        filename="h.csv", content=b"x", status="importing", user=user, language="en"
    )
    db.session.add(job)
    db.session.commit()
    page = f"/households/imports/{job.id}"
    assert "Refresh" in client.get(page).headers  # still working
    db.session.execute(
        update(HouseholdImport)
        .where(HouseholdImport.id == job.id)
        .values(updated_at=utcnow() - timedelta(minutes=3))
    )
    db.session.commit()
    response = client.get(page)
    assert "Refresh" not in response.headers
    assert "This import was interrupted: nothing was imported." in text_of(response)


def test_the_templates_download(client, auth):
    auth.login("field", language="en")
    response = client.get("/households/imports/template.csv")
    assert response.status_code == 200
    assert response.get_data(as_text=True).startswith("head_name,worker_name,")
    response = client.get("/households/imports/template.xlsx")
    assert response.status_code == 200 and response.data[:2] == b"PK"
    assert "attachment" in response.headers["Content-Disposition"]


def test_the_upload_page_lists_the_users_recent_imports(client, auth, inline):
    auth.login("field", language="en")
    upload(client, csv_file([row_values(0)]), "januari.csv")
    html = client.get(UPLOAD).get_data(as_text=True)
    assert "januari.csv" in html and "ready to import" in html


def test_the_progress_advances_while_the_rows_are_inserted(
    client, auth, inline, monkeypatch, db_backend
):
    """The confirmed import's bar: the rows checked at upload fill its first half at once,
    the insert its second; on PostgreSQL another connection sees it move while the rows
    go in."""
    from kitlog.services.imports import runner

    auth.login("field", language="en")
    monkeypatch.setattr(imports.inserting, "INSERT_CHUNK", 10)
    monkeypatch.setattr(imports.checking, "PROGRESS_EVERY", 10)
    response = upload(client, csv_file([row_values(i) for i in range(40)]), "h.csv")
    page = response.headers["Location"]
    job_id = int(page.rsplit("/", 1)[1])
    writer = runner._progress
    seen = []  # what a fresh connection reads after each report

    def watched(job):
        report = writer(job)

        def write(done, total):
            report(done, total)
            with db.engine.connect() as connection:
                seen.append(
                    connection.execute(
                        select(HouseholdImport.processed_rows).where(HouseholdImport.id == job)
                    ).scalar_one()
                )

        return write

    monkeypatch.setattr(runner, "_progress", watched)
    post_form(client, page, f"/households/imports/{job_id}/confirm")
    assert household_count() == 40
    assert seen == sorted(seen)  # it never goes back
    checked = [n for n in seen if n <= 20]
    assert set(checked) == {20}  # the rows were checked at upload: not read again
    inserting = [n for n in seen if n > 20]
    if db_backend == "postgresql":
        assert inserting == [25, 30, 35, 40]  # each chunk of 10 rows, seen as it goes in
    else:  # the import holds SQLite's write lock: nobody else can write until it commits
        assert inserting == []
    assert "40 households were imported." in text_of(client.get(page))


def test_confirming_imports_the_rows_checked_at_upload_without_reading_the_file_again(
    client, auth, inline, monkeypatch
):
    auth.login("field", language="en")
    response = upload(client, csv_file([row_values(i) for i in range(3)]), "h.csv")
    page = response.headers["Location"]
    job_id = int(page.rsplit("/", 1)[1])
    kept = db.session.get(HouseholdImport, job_id).content
    assert kept.startswith(b"kitlog-checked-rows/")  # the checked rows, not the file

    def read_again(*args, **kwargs):
        raise AssertionError("the file was read and checked again")

    monkeypatch.setattr(imports.jobs, "check_spreadsheet", read_again)
    post_form(client, page, f"/households/imports/{job_id}/confirm")
    assert household_count() == 3
    assert "3 households were imported." in text_of(client.get(page))
    assert db.session.get(HouseholdImport, job_id).content is None
