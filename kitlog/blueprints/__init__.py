"""One package per area; thin views over kitlog.services."""

from __future__ import annotations

from flask import Flask


def register_all(app: Flask) -> None:
    from kitlog.blueprints import (
        admin,
        api,
        auth,
        cards,
        distribution,
        door,
        feedback,
        follow_ups,
        households,
        main,
        manifests,
        pdm,
        printing,
        public_feedback,
        reference,
        reports,
        scan,
        site,
        stock,
    )

    for module in (
        auth,
        main,
        reference,
        stock,
        households,
        cards,
        public_feedback,
        distribution,
        printing,
        manifests,
        scan,
        door,
        site,
        follow_ups,
        feedback,
        pdm,
        reports,
        admin,
    ):
        app.register_blueprint(module.bp)
    api.init_app(app)
