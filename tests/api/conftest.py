"""API fixtures."""

from __future__ import annotations

import pytest

from tests.api.helpers import World


@pytest.fixture
def world(make) -> World:
    """KOICA, HK-FAM, JKT-01, SBY-01 and a batch of 100 kits in JKT-01."""
    return World(make)
