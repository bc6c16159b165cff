"""Importing households from a spreadsheet through the API (all or nothing)."""

from __future__ import annotations

from kitlog.blueprints.api.common import ApiBlueprint

blp = ApiBlueprint("api_imports", __name__, description="Household imports")
