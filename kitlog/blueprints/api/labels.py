"""Label sheets (PDF) for a round's parcels."""

from __future__ import annotations

from kitlog.blueprints.api.common import ApiBlueprint

blp = ApiBlueprint("api_labels", __name__, description="Label sheets (PDF) for a round's parcels")
