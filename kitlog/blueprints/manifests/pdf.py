"""The manifest PDF as an HTTP answer, for the page and the API alike."""

from __future__ import annotations

from flask import Response, current_app

from kitlog.extensions import db
from kitlog.models import Manifest
from kitlog.services import manifests as service


def manifest_pdf_response(manifest: Manifest) -> Response:
    """The waybill, naming each parcel's head of household (never a NIK or phone).

    Whoever prints it: the paper travels with the truck so that the village head and the
    receivers can check and sign against the names, as issue 5 asks of the waybill.
    """
    document = service.manifest_pdf(
        db.session,
        manifest,
        organisation=current_app.config["ORGANISATION"],
        base_url=current_app.config["BASE_URL"],
        show_names=True,
    )
    return Response(
        document,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{service.manifest_filename(manifest)}"'
        },
    )
