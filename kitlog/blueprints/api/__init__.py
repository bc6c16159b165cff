"""The JSON API under /api/v1, documented by flask-smorest from its schemas."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from kitlog.security import declare_public_endpoint


class KitlogApi(Api):
    """flask-smorest's Api, with kitlog's problem+json error handlers instead of its own."""

    def _register_error_handlers(self):
        pass  # kitlog.errors answers every HTTP error, API or page


api = KitlogApi()


def init_app(app: Flask) -> None:
    from kitlog.blueprints.api import reference, stock

    api.init_app(
        app,
        spec_kwargs={
            "info": {"description": "kitlog JSON API: see API.md for the contract."},
            "components": {
                "securitySchemes": {
                    "bearer": {"type": "http", "scheme": "bearer"},
                    "session": {"type": "apiKey", "in": "cookie", "name": "session"},
                }
            },
            "security": [{"bearer": []}, {"session": []}],
        },
    )
    for module in (reference, stock):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
    # The OpenAPI document describes the API and holds no data: anyone may read it.
    for endpoint in app.view_functions:
        if endpoint.startswith("api-docs."):
            declare_public_endpoint(app, endpoint)
