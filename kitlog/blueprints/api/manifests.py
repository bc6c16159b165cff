"""Manifests (waybills): load, dispatch."""

from __future__ import annotations

from kitlog.blueprints.api.common import ApiBlueprint

blp = ApiBlueprint("api_manifests", __name__, description="Manifests (waybills): load, dispatch")
