"""The warehouse scan station, the service worker (/sw.js) and the offline page."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from pathlib import Path

from flask import (
    current_app,
    make_response,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.routing import BuildError

from kitlog.blueprints.scan import bp
from kitlog.blueprints.scan.forms import MODES, StationForm, mode_label, names_manifest
from kitlog.extensions import db, login_manager
from kitlog.models import Manifest, Parcel, Round, Scan, Warehouse
from kitlog.models.scanning import ManifestStatus
from kitlog.security import public, require
from kitlog.services import parcel_actions
from kitlog.services import scans as scan_service
from kitlog.services.parcel_codes import format_short_code

RECENT = 20
SESSION_SINCE = "scan_station_since"
# What the service worker precaches from kitlog/static: the app shell and vendored files.
SHELL_SUFFIXES = (".css", ".js", ".svg", ".png", ".ico", ".wasm", ".woff2", ".webmanifest")
# What only desk pages load (the dashboards' and reports' charts): a phone that delivers
# or scans never needs it, and would pay for it in cellular data at every deploy.
DESK_ONLY = ("vendor/chart.js/", "js/dashboard.js", "js/report.js")
SW_TEMPLATE = "scan/sw.js"


def _open_manifests() -> list[Manifest]:
    return list(
        db.session.scalars(
            select(Manifest)
            .where(Manifest.status == ManifestStatus.OPEN)
            .order_by(Manifest.created_at.desc(), Manifest.id.desc())
        )
    )


def _since() -> datetime:
    """When this login's station session began (the running count counts from there)."""
    stamp = session.get(SESSION_SINCE)
    try:
        return datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        now = datetime.now(UTC)
        session[SESSION_SINCE] = now.isoformat()
        return now


def _recent_scans() -> tuple[list[dict], int]:
    """The user's last scans at any station, and how many were accepted this session."""
    rows = db.session.execute(
        select(Scan, Parcel.short_code, Manifest.number, Warehouse.timezone)
        .outerjoin(Parcel, Parcel.id == Scan.parcel_id)
        .outerjoin(Manifest, Manifest.id == Scan.manifest_id)
        .outerjoin(Round, Round.id == Parcel.round_id)
        .outerjoin(Warehouse, Warehouse.id == Round.warehouse_id)
        .where(Scan.user_id == current_user.id, Scan.action.in_(MODES))
        .order_by(Scan.created_at.desc(), Scan.id.desc())
        .limit(RECENT)
    ).all()
    recent = [
        {
            "code": format_short_code(short_code) if short_code else scan.code,
            "action": scan.action,
            "outcome": scan.outcome,
            "detail": scan.detail,
            "manifest": number,
            "at": scan.created_at,
            "zone": zone,  # its parcel's warehouse's; the deployment's for an unknown code
        }
        for scan, short_code, number, zone in rows
    ]
    accepted = db.session.scalar(
        select(func.count())
        .select_from(Scan)
        .where(
            Scan.user_id == current_user.id,
            Scan.action.in_(MODES),
            Scan.outcome == "ok",
            Scan.created_at >= _since(),
        )
    )
    return recent, accepted or 0


def _preset(form: StationForm) -> None:
    """?mode=load&manifest=<id> opens the station ready to load that manifest."""
    mode = request.args.get("mode", "")
    if mode in MODES:
        form.mode.data = mode
    manifest = request.args.get("manifest", "")
    if manifest.isdigit() and len(manifest) < 12:
        form.manifest.data = int(manifest)
        if not mode:
            form.mode.data = "load"


def _fresh_form(previous: StationForm | None, manifests: list[Manifest]) -> StationForm:
    """An empty form for the next scan, in the same mode, with a new idempotency key."""
    form = StationForm(formdata=None)
    form.set_choices(manifests)
    if previous is not None:
        form.mode.data = previous.mode.data
        form.manifest.data = previous.manifest.data
    else:
        form.mode.data = "pack"
        _preset(form)
    form.key.data = str(uuid.uuid4())
    return form


def outbox_context() -> dict:
    """What the outbox macros need from the request (they are imported without context)."""
    root = request.script_root
    return {
        "user": current_user.id if current_user.is_authenticated else "",
        "batch_url": f"{root}/api/v1/scans/batch",
        "login_url": url_for("auth.login", next=request.path),
        "scope": f"{root}/",
    }


@bp.route("/scan/", methods=["GET", "POST"])
@require("scans.warehouse")
def station():
    """The warehouse scan station: pack, load onto a manifest, or take returns."""
    manifests = _open_manifests()
    form = StationForm()
    form.set_choices(manifests)
    result = None
    status = 200
    if form.validate_on_submit():
        manifest = form.manifest.data if names_manifest(form.mode.data) else None
        data = scan_service.ScanInput(
            code=form.code.data,
            action=form.mode.data,
            idempotency_key=form.key.data,
            scanned_at=datetime.now(UTC),
            manifest=str(manifest) if manifest else None,
        )
        answer = form.save(lambda: scan_service.record_scan(db.session, data, user=current_user))
        if answer is not None:
            result = {
                "outcome": answer.outcome,
                "code": format_short_code(answer.parcel.short_code)
                if answer.parcel is not None
                else form.code.data,
                "detail": answer.detail,
                "action": form.mode.data,
            }
            form = _fresh_form(form, manifests)
        else:
            status = 422
    elif request.method == "POST":
        status = 422
        if form.key.errors or form.mode.errors:  # fields the page shows no error beside
            form.form_errors.append(_("The form is incomplete: reload the page and try again."))
    else:
        form = _fresh_form(None, manifests)
    recent, accepted = _recent_scans()
    actions = parcel_actions.as_json()
    return (
        render_template(
            "scan/station.html",
            form=form,
            manifests=manifests,
            result=result,
            recent=recent,
            accepted=accepted,
            mode_label=mode_label,
            parcel_actions=actions,
            words={action["name"]: action["words"] for action in actions["actions"]},
        ),
        status,
    )


@bp.route("/offline")
@public
def offline():
    """What the service worker shows for a page it has not kept, with no network."""
    # The same for everyone, whoever is logged in: the service worker keeps it across
    # logins, so it must show no user's name.
    return render_template(
        "scan/offline.html",
        deliver_url=_url_or_none("door.deliver"),
        current_user=login_manager.anonymous_user(),
    )


def _shell_files() -> list[Path]:
    static = Path(current_app.static_folder)
    return sorted(
        path
        for path in static.rglob("*")
        if path.is_file()
        and path.suffix in SHELL_SUFFIXES
        and not path.name.startswith(".")
        and not path.relative_to(static).as_posix().startswith(DESK_ONLY)
    )


def _version(files: list[Path]) -> str:
    """A hash of every precached file and of the worker's own source: a deploy that
    changes any of them makes browsers install the new worker and refresh their caches."""
    cache = current_app.extensions.setdefault("kitlog_sw_versions", {})
    sources = [*files, Path(current_app.jinja_loader.searchpath[0]) / SW_TEMPLATE]
    stamp = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in sources)
    if stamp not in cache:
        digest = hashlib.sha256()
        for path in sources:
            digest.update(str(path.name).encode())
            digest.update(path.read_bytes())
        cache.clear()
        cache[stamp] = digest.hexdigest()[:16]
    return cache[stamp]


def _url_or_none(endpoint: str, **values: str) -> str | None:
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _survey_prefix() -> str | None:
    """Where the monitoring survey pages are (/pdm/survey/): the worker keeps each one an
    officer opens, or saves from the survey list, to open it again with no signal."""
    marker = "0"
    url = _url_or_none("pdm.survey", parcel_code=marker)
    return url[: -len(marker)] if url else None


@bp.route("/sw.js")
@public
def service_worker():
    """The service worker that keeps the scan, delivery, site and survey pages working offline."""
    files = _shell_files()
    static = Path(current_app.static_folder)
    shell_urls = [url_for("static", filename=path.relative_to(static).as_posix()) for path in files]
    deliver_url = _url_or_none("door.deliver")
    site_url = _url_or_none("site.station")
    pdm_url = _url_or_none("pdm.index")
    page_urls = [url for url in (url_for("scan.station"), deliver_url, site_url, pdm_url) if url]
    offline_url = url_for("scan.offline")  # kept with the shell: it names no user
    root = request.script_root
    body = render_template(
        SW_TEMPLATE,
        version=_version(files),
        shell_urls=[*shell_urls, offline_url],
        page_urls=page_urls,
        offline_url=offline_url,
        deliver_url=deliver_url,
        parcel_prefix=f"{root}/p/",
        survey_prefix=_survey_prefix(),
        static_prefix=f"{root}{current_app.static_url_path}/",
        api_prefix=f"{root}/api/",
        clear_on_post=[
            url_for("auth.logout"),
            url_for("auth.login"),
            f"{root}/",
            url_for("auth.set_language"),
        ],
    )
    response = make_response(body)
    response.headers["Content-Type"] = "text/javascript; charset=utf-8"
    response.headers["Service-Worker-Allowed"] = f"{root}/"
    response.headers["Cache-Control"] = "no-cache"
    return response
