"""Distribution rounds, allocation and parcels."""

from __future__ import annotations

from kitlog.blueprints.api.common import ApiBlueprint

blp = ApiBlueprint("api_distribution", __name__, description="Rounds, allocation and parcels")
