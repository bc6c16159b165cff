"""Households: register, search, import (field officers, admin)."""

from __future__ import annotations

from kitlog.blueprints.api.common import ApiBlueprint

blp = ApiBlueprint("api_households", __name__, description="Migrant workers' households")
