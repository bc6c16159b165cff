"""Proofs of delivery in `kitlog backup` / `kitlog restore` (they come back with the
delivery they prove) and `kitlog anonymise` (they go with the names)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import DeliveryProof, Household, Parcel
from tests import images
from tests.worlds import ScanWorld


@pytest.fixture
def w(make) -> ScanWorld:
    world = ScanWorld(make, households=3)
    world.on_the_road(world.parcels)
    world.scan(world.parcels[0], "deliver", proof=images.signature())
    world.scan(world.parcels[1], "deliver", proof=images.photo())
    return world


def kept() -> list[tuple[int, str, bytes]]:
    db.session.commit()
    return [
        (p.parcel_id, p.kind, p.content)
        for p in db.session.scalars(select(DeliveryProof).order_by(DeliveryProof.parcel_id))
    ]


def test_a_restored_backup_has_the_proofs_of_its_time(w, runner, tmp_path):
    at_backup = kept()
    assert [kind for _parcel, kind, _content in at_backup] == ["signature", "photo"]
    path = tmp_path / "kitlog.backup"
    assert runner.invoke(args=["backup", str(path)]).exit_code == 0
    third = w.parcels[2]
    w.scan(third, "deliver", proof=images.signature(images.png(10, 10)))
    assert len(kept()) == 3

    result = runner.invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code == 0, result.output
    assert kept() == at_backup
    assert at_backup[0][2] == images.png() and at_backup[1][2] == images.jpeg()
    # the later delivery is gone with its proof, and can be made again, once
    assert w.scan(third, "deliver", proof=images.signature()).outcome == "ok"
    assert len(kept()) == 3


def test_anonymise_deletes_the_proofs_of_the_households_it_clears(w, runner):
    # the third household's parcel is still on the road: it keeps everything
    third = db.session.get(Household, w.parcels[2].household_id)
    round_id = w.round.id
    result = runner.invoke(args=["anonymise", "--round", str(round_id), "--yes"])
    assert result.exit_code == 0, result.output
    assert kept() == []
    assert db.session.get(Household, third.id).head_name != "—"
    assert db.session.scalar(select(func.count()).select_from(Parcel)) == 3
