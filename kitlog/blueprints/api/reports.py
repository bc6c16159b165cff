"""Donor reports (API.md, Reports)."""

from __future__ import annotations

from kitlog.blueprints.api.common import ApiBlueprint

blp = ApiBlueprint("api_reports", __name__, description="Donor reports: aggregates only")
