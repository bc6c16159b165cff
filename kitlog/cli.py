"""The `kitlog` command: db (Flask-Migrate), run, demo, users, tokens, check, places,
backup, restore, anonymise."""

from __future__ import annotations

import csv
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_babel import force_locale
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import ROLES, Donor, User
from kitlog.services import anonymise as anonymise_service
from kitlog.services import demo as demo_service
from kitlog.services import kept_figures, place_checks
from kitlog.services import reference as reference_service
from kitlog.services import stock as stock_service
from kitlog.services import users as user_service
from kitlog.services.errors import DomainError
from kitlog.services.locking import transaction
from kitlog.services.places import DATA as PLACES_DATA
from kitlog.services.places import read_places


def _create_app(*_args, **_kwargs) -> Flask:
    from kitlog import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False)
def main() -> None:
    """kitlog: humanitarian aid kits from the donor batch to the household."""


def _fail(error: DomainError) -> None:
    """Stop with the error's message in English, like every other word the command says."""
    db.session.rollback()
    field = f" ({error.field})" if error.field else ""
    with force_locale("en"):
        message = str(error)
    raise click.ClickException(f"{message}{field}")


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def run_command(host: str, port: int) -> None:
    """Serve kitlog (never loads demo data; use `kitlog demo` for that)."""
    from werkzeug.serving import run_simple

    from kitlog.access_log import RequestHandler

    app = current_app._get_current_object()
    click.echo(f"kitlog is serving on http://{host}:{port}/  (Ctrl+C stops it)")
    run_simple(
        host,
        port,
        app,
        threaded=True,
        use_reloader=False,
        use_debugger=False,
        request_handler=RequestHandler,  # no query string or whole token in the log
    )


@main.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the founding case: KOICA, 5,000 hygiene kits (10 damaged), Jakarta and Surabaya."""
    today = datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()
    with transaction(db.session, write=True):
        logins = demo_service.load_demo(db.session, current_app.instance_path, today=today)
    if logins.created:
        story = logins.story
        click.echo(
            "Demo data loaded: KOICA batch of 5,000 kits, 10 damaged; JKT-01 and SBY-01;"
            f" {demo_service.DEMO_HOUSEHOLDS:,} households; round 1 (Jawa Timur) under way"
            f" over the last three weeks: {story.delivered} of its {story.parcels} parcels"
            f" delivered on {story.closed_manifests} closed manifests and the truck on the"
            f" road, {story.failed_returned} failed at the door and back in stock,"
            f" {story.on_the_road} on the road, {story.loading} loading,"
            f" {story.packed} packed on the shelf, {story.allocated} still to pack."
        )
    else:
        click.echo("Demo data is already loaded.")
    click.echo("Demo logins (one per role):")
    for role, email, password in logins.rows:
        click.echo(f"  {role:<10} {email:<28} {password}")


@main.group("users")
def users_group() -> None:
    """Manage user accounts."""


def _read_password() -> str:
    if sys.stdin is not None and not sys.stdin.isatty():
        first = sys.stdin.readline().rstrip("\r\n")
        second = sys.stdin.readline().rstrip("\r\n")
    else:
        first = click.prompt("Password", hide_input=True)
        second = click.prompt("Repeat the password", hide_input=True)
    if first != second:
        raise click.ClickException("The two passwords differ; nothing was created.")
    return first


@users_group.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--donor", "donor_code", default=None, help="Donor code, for the donor role.")
@click.option("--name", default="", help="Display name (default: the email's local part).")
@click.option("--language", default="id", type=click.Choice(["id", "en"]), show_default=True)
@with_appcontext
def users_create(email: str, role: str, donor_code: str | None, name: str, language: str) -> None:
    """Create a user; the password, then its confirmation, come from stdin or a prompt."""
    password = _read_password()
    try:
        with transaction(db.session, write=True):
            donor = None
            if donor_code:
                donor = reference_service.get_by_code(db.session, Donor, donor_code, "donor")
            user = user_service.create_user(
                db.session,
                email=email,
                password=password,
                role=role,
                name=name,
                donor=donor,
                language=language,
            )
    except DomainError as error:
        _fail(error)
    click.echo(f"Created {user.role} user {user.email}.")


@main.group("tokens")
def tokens_group() -> None:
    """Manage API tokens."""


@tokens_group.command("create")
@click.argument("email")
@click.option("--name", default="cli", show_default=True)
@with_appcontext
def tokens_create(email: str, name: str) -> None:
    """Create an API token for a user; the token is the last word printed."""
    with transaction(db.session, write=True):
        user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise click.ClickException(f"No user has the email {email}.")
        _record, token = user_service.create_token(db.session, user, name)
    click.echo(f"API token for {user.email} (shown once, keep it safe): {token}")


@main.command("check")
@with_appcontext
def check_command() -> None:
    """Verify that every batch reconciles and that every kept figure is what the rows
    give; exit 0 only when all is well."""
    problems = stock_service.reconciliation_problems(db.session)
    problems += kept_figures.kept_figures_problems(db.session)
    summaries = stock_service.batch_summaries(db.session)
    if problems:
        click.echo(f"{len(problems)} problem(s) found:", err=True)
        for problem in problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(1)
    click.echo(f"All {len(summaries)} batches reconcile.")
    click.echo("Every kept figure is what its rows give.")


# -- the official places ------------------------------------------------------------------


@main.group("places")
def places_group() -> None:
    """Indonesia's official places: load the shipped list, check the stored codes."""


def _data_version() -> str:
    """'idn-area-data 4.0.1': the list kitlog ships (kitlog/data/VERSIONS.txt)."""
    versions = Path(PLACES_DATA).parent / "VERSIONS.txt"
    lines = versions.read_text(encoding="utf-8").splitlines()
    return next((line for line in lines if line.startswith("idn-area-data")), "idn-area-data")


@places_group.command("load")
@with_appcontext
def places_load() -> None:
    """Bring the places table up to date with the list kitlog ships: new codes are
    added, renamed places renamed; a code no longer listed is removed unless a household,
    warehouse or round refers to it (those are kept and named). Running it again changes
    nothing."""
    listed = list(read_places())
    with (
        transaction(db.session, write=True),
        click.progressbar(length=len(listed), label=f"Loading {_data_version()}") as bar,
    ):
        result = place_checks.load_places(db.session, listed=listed, progress=bar.update)
    click.echo(
        f"{result.listed:,} places listed: {result.inserted:,} added, {result.renamed:,}"
        f" renamed, {result.unchanged:,} unchanged; {result.removed:,} no longer listed"
        f" removed, {len(result.kept):,} kept."
    )
    if result.kept:
        click.echo("Kept, no longer listed but still referred to (see `kitlog places check`):")
        for place in result.kept:
            click.echo(f"  {place.code}  {place.name} ({place.level})")


_PROBLEMS = {
    place_checks.UNKNOWN: "{name!r} is not a {level} of {parent}",
    place_checks.AMBIGUOUS: "{name!r} may be any of several places in {parent}",
    place_checks.NOT_CODED: "{name!r} has no code yet",
    place_checks.MISSING: "no {level} is given",
    place_checks.RENAMED: "{name!r} does not match its code {code}",
    place_checks.UNLISTED: "its code {code} ({name}) is no longer in the official list",
}
_CSV_HEADER = (
    "record",
    "ref",
    "level",
    "problem",
    "name",
    "code",
    "province",
    "regency",
    "district",
    "village",
    "suggestion_1",
    "suggestion_2",
    "suggestion_3",
)


def _problem_line(found: place_checks.PlaceProblem) -> str:
    parent = found.parent.label if found.parent else "Indonesia"
    what = _PROBLEMS[found.problem].format(
        name=found.name, level=found.level, parent=parent, code=found.code
    )
    line = f"{found.record} {found.ref}: {found.level}: {what}"
    if found.suggestions:
        line += "; suggested: " + ", ".join(p.label for p in found.suggestions)
    return line


@places_group.command("check")
@click.option(
    "--csv",
    "csv_file",
    type=click.File("w", encoding="utf-8", lazy=True),
    default=None,
    help="Write the list as CSV to this file ('-': standard output), to correct from.",
)
@with_appcontext
def places_check(csv_file) -> None:
    """List every household, warehouse and draft round whose places have no code or
    whose names no longer match their codes: the level that failed and up to 3
    suggestions. Exits 1 when any is listed, 0 when none."""
    counts: Counter[str] = Counter()
    writer = csv.writer(csv_file) if csv_file is not None else None
    if writer is not None:
        writer.writerow(_CSV_HEADER)
    with transaction(db.session):
        for found in place_checks.place_problems(db.session):
            counts[found.record] += 1
            if writer is None:
                click.echo(_problem_line(found))
                continue
            suggestions = [p.label for p in found.suggestions]
            suggestions += [""] * (3 - len(suggestions))
            writer.writerow(
                (found.record, found.ref, found.level, found.problem, found.name, found.code)
                + found.names
                + tuple(suggestions)
            )
    total = sum(counts.values())
    # with the CSV on standard output, the summary goes to standard error
    err = csv_file is not None
    if not total:
        click.echo(
            "Every household, warehouse and draft round has its places' codes, and their"
            " names match.",
            err=err,
        )
        return
    click.echo(
        f"{total:,} to correct: {counts['household']:,} household(s),"
        f" {counts['warehouse']:,} warehouse(s), {counts['round']:,} draft round(s).",
        err=err,
    )
    sys.exit(1)


# -- backup and restore ------------------------------------------------------------------


def _size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return ""  # pragma: no cover


@main.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@with_appcontext
def backup_command(path: str, force: bool) -> None:
    """Back the database up to PATH while kitlog runs (SQLite: a copy; PostgreSQL: pg_dump).

    The file holds every household's personal data: store it encrypted, readable only by
    the people who may restore it.
    """
    from kitlog.services import backup as backup_service

    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        written = backup_service.backup_database(url, path, force=force)
    except DomainError as error:
        _fail(error)
    click.echo(
        f"Backed up {backup_service.safe_url(url)} to {written.path}"
        f" ({written.format}, {_size(written.size)})."
    )


@main.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path: str, yes: bool) -> None:
    """Replace the whole database with the backup at PATH, then check that it reconciles.

    Stop kitlog first (every gunicorn worker): on SQLite the database file is swapped
    underneath it. Everything recorded since the backup is lost.
    """
    from kitlog.services import backup as backup_service

    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if not yes:
        click.confirm(
            f"Replace everything in {backup_service.safe_url(url)} with the backup {path}?"
            " Everything recorded since that backup is lost.",
            abort=True,
        )
    db.session.remove()
    db.engine.dispose()  # no connection of ours may hold the old database open
    try:
        restored = backup_service.restore_database(url, path)
    except DomainError as error:
        _fail(error)
    db.engine.dispose()
    click.echo(f"Restored {backup_service.safe_url(url)} from {restored.path}.")
    click.get_current_context().invoke(check_command)


@main.command("anonymise")
@click.option("--round", "round_id", type=int, default=None, help="A round's number (id).")
@click.option(
    "--before",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="A day, YYYY-MM-DD, in the deployment's time zone.",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def anonymise_command(round_id: int | None, before: datetime | None, yes: bool) -> None:
    """End of a programme: remove households' names, NIK, phone and GPS for good.

    \b
    --round N: the households with a parcel in round N and none (other than cancelled)
      in any other round.
    --before YYYY-MM-DD: the households registered before that day and with no parcel
      (other than cancelled) allocated on or after it.
    Either way, a household with a parcel still in progress (allocated, packed,
    dispatched, failed or returned) is left as it is.

    Names become "—", the NIK an ANON marker, the phone empty; the GPS of their parcels'
    status changes and scans, and the recipients' names and notes, are cleared; their
    proofs of delivery (signatures, photos) are deleted. Areas,
    members, vulnerabilities, parcels and the ledger stay: donor reports do not change.
    Running it again changes nothing more.
    """
    if (round_id is None) == (before is None):
        raise click.UsageError("Give --round N or --before YYYY-MM-DD (one of them).")
    what = f"round {round_id}" if round_id is not None else f"before {before:%Y-%m-%d}"
    if not yes:
        click.confirm(
            f"Anonymise the households of {what}? Their names, NIK, phone and GPS"
            " cannot be recovered.",
            abort=True,
        )
    try:
        with transaction(db.session, write=True):
            result = anonymise_service.anonymise_households(
                db.session,
                round_id=round_id,
                before=before.date() if before is not None else None,
                timezone=current_app.config["TIMEZONE"],
            )
    except DomainError as error:
        _fail(error)
    click.echo(
        f"{result.households} household(s) anonymised"
        f" ({result.selected - result.households} already anonymised)."
    )
    if result.imports:
        click.echo(f"{result.imports} old household import(s) cleared of their file and errors.")


def init_app(app: Flask) -> None:
    """The same commands under `flask --app wsgi`, for completeness."""
    for command in (
        run_command,
        demo_command,
        users_group,
        tokens_group,
        check_command,
        places_group,
        anonymise_command,
        backup_command,
        restore_command,
    ):
        app.cli.add_command(command)
