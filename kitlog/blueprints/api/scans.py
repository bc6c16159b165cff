"""Scans of parcels: pack, load, deliver, fail, return; one at a time or as a batch."""

from __future__ import annotations

from kitlog.blueprints.api.common import ApiBlueprint

blp = ApiBlueprint(
    "api_scans",
    __name__,
    description="Scans of parcels: pack, load, deliver, fail, return; one at a time or as a batch",
)
