"""The JSON API under /api/v1, documented by flask-smorest from its schemas."""

from __future__ import annotations

import http

from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from kitlog.blueprints.api.common import CODE_PATTERN, CodeConverter
from kitlog.blueprints.api.problems import PROBLEM_JSON, ProblemSchema
from kitlog.security import declare_public_endpoint


class KitlogApi(Api):
    """flask-smorest's Api, with kitlog's problem+json errors instead of its own."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        pass  # kitlog.errors answers every HTTP error, API or page

    def _register_responses(self):
        """Every error status is documented as a problem+json answer."""
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = ProblemSchema
                prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error, as a problem+json answer.", "schema": ProblemSchema}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


api = KitlogApi()


def _code_parameter(_converter) -> dict:
    return {"type": "string", "pattern": f"^{CODE_PATTERN}$"}


def init_app(app: Flask) -> None:
    from kitlog.blueprints.api import (
        cards,
        cards_lookup,
        collectors,
        distribution,
        feedback,
        follow_ups,
        households,
        imports,
        labels,
        manifests,
        pdm,
        places,
        reference,
        report_exports,
        reports,
        scans,
        sites,
        stock,
    )

    app.url_map.converters["code"] = CodeConverter
    api.init_app(
        app,
        spec_kwargs={
            "info": {
                "description": (
                    "kitlog JSON API: donors, kit types, warehouses, donor batches and the "
                    "stock ledger. Errors are application/problem+json in the language of "
                    "Accept-Language (id or en)."
                )
            },
            "components": {
                "securitySchemes": {
                    "bearer": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "A token from `kitlog tokens create EMAIL`.",
                    },
                    "session": {
                        "type": "apiKey",
                        "in": "cookie",
                        "name": "session",
                        "description": (
                            "The browser session. A JSON POST from kitlog's own pages is"
                            " recognised by its Origin header; any other POST also needs the"
                            " page's CSRF token in the X-CSRFToken header."
                        ),
                    },
                }
            },
            "security": [{"bearer": []}, {"session": []}],
        },
    )
    api.register_converter(
        CodeConverter, lambda _c: {"type": "string", "pattern": f"^{CODE_PATTERN}$"}
    )
    for module in (
        reference,
        places,
        stock,
        households,
        collectors,
        imports,
        cards,
        distribution,
        labels,
        manifests,
        follow_ups,
        feedback,
        sites,
        pdm,
        cards_lookup,
        scans,
        reports,
        report_exports,
    ):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
    # The OpenAPI document describes the API and holds no data: anyone may read it.
    for endpoint in app.view_functions:
        if endpoint.startswith("api-docs."):
            declare_public_endpoint(app, endpoint)
