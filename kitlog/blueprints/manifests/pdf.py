"""The manifest PDF as an HTTP answer, for the page and the API alike."""

from __future__ import annotations

from flask import Response, current_app, request
from flask_login import current_user

from kitlog.extensions import db
from kitlog.models import Manifest
from kitlog.security import can
from kitlog.services import audit
from kitlog.services import manifests as service


def manifest_pdf_response(manifest: Manifest) -> Response:
    """The waybill. Heads of household are named for roles that read households, or on
    every copy when the round's `show_head_name` says the programme wants names on paper
    (as on its labels); never a NIK or phone. A copy with names is logged."""
    printed = service.manifest_pdf(
        db.session,
        manifest,
        organisation=current_app.config["ORGANISATION"],
        base_url=current_app.config["BASE_URL"],
        show_names=can("households.read"),
    )
    audit.printed_names(
        db.session,
        "waybill",
        names=printed.names,
        user=current_user,
        object_type="manifest",
        object_ref=manifest.number,
        address=request.remote_addr,
    )
    return Response(
        printed.pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{service.manifest_filename(manifest)}"'
        },
    )
