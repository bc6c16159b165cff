"""Several gunicorn workers race on the same stock and the same parcels (PostgreSQL).

kitlog runs as it does in production: `gunicorn wsgi:app` with four worker processes on
one PostgreSQL database. Phones and storekeepers then act at the same instant through
the JSON API: transfers that together ask for more than the shelf holds, two allocations
of one round, eight deliveries of each parcel, eight returns of each failed parcel.
Afterwards every batch reconciles, no household has two parcels in the round, no parcel
is delivered twice and no parcel's kits come back twice.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import MovementKind, Parcel, ParcelEvent, StockMovement
from kitlog.services import distribution as dist
from kitlog.services import stock
from tests.worlds import ScanWorld

pytestmark = pytest.mark.postgresql_only

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 4
EAST_JAVA = {"province": "Jawa Timur", "regency": "Kabupaten Malang"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gunicorn(database_url, tmp_path):
    """`gunicorn wsgi:app` with several workers on the test's database; its base URL."""
    port = _free_port()
    env = {
        **os.environ,
        "KITLOG_DATABASE_URL": database_url,
        "KITLOG_SECRET_KEY": "race-test-secret",
        "KITLOG_ENV": "development",
    }
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-b", f"127.0.0.1:{port}"]
        + ["--timeout", "60", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/login", timeout=2).close()  # noqa: S310 - loopback
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("gunicorn did not start: " + (tmp_path / "gunicorn.log").read_text())
            time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(timeout=30)
    log.close()


ANSWERS: list[str] = []  # the refusals' bodies, shown when an assertion fails


def _post(base: str, path: str, token: str, body: dict) -> int:
    request = urllib.request.Request(  # noqa: S310 - loopback
        base + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        ANSWERS.append(f"{path} {error.code}: {error.read()[:300]!r}")
        return error.code


def _all_at_once(calls: list[tuple]) -> list[int]:
    """Send every (base, path, token, body) at the same instant; their statuses in order."""
    barrier = threading.Barrier(len(calls))
    statuses: list[int | None] = [None] * len(calls)

    def send(index: int, call: tuple) -> None:
        barrier.wait(timeout=30)
        statuses[index] = _post(*call)

    threads = [threading.Thread(target=send, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def test_workers_racing_on_stock_and_parcels_keep_every_rule(make, gunicorn):
    w = ScanWorld(make, households=6)
    jakarta = make.warehouse("JKT-01")
    on_the_road, to_fail = w.parcels[:4], w.parcels[4:]
    w.on_the_road(w.parcels)
    for parcel in to_fail:
        w.scan(parcel, "fail", user=w.siti, reason="nobody_home")
    # a second round over new households, to be allocated twice at once
    for _ in range(5):
        make.household(**EAST_JAVA)
    second = dist.create_round(
        db.session,
        name="Putaran 2",
        batches=[w.batch],
        warehouse=w.warehouse,
        entitlement=1,
        user=None,
        **EAST_JAVA,
    )
    dist.open_round(db.session, second, user=None)
    db.session.commit()
    available = stock.stock_level(
        db.session, batch_id=w.batch.id, warehouse_id=w.warehouse.id
    ).available
    # the second round covers the six households of the first and the five new ones
    needed = dist.plan_allocation(db.session, second, today=date.today()).kits_needed
    assert needed == 11
    field, storekeeper, admin = (make.token(u) for u in (w.siti, w.budi, w.admin))

    calls = []
    for parcel in on_the_road:
        for attempt in range(8):
            body = {"code": parcel.short_code, "action": "deliver"}
            calls.append(
                (
                    gunicorn,
                    "/api/v1/scans",
                    field,
                    body | {"idempotency_key": f"deliver-{parcel.id}-{attempt:02d}"},
                )
            )
    for parcel in to_fail:
        for attempt in range(8):
            body = {"code": parcel.short_code, "action": "return"}
            calls.append(
                (
                    gunicorn,
                    "/api/v1/scans",
                    storekeeper,
                    body | {"idempotency_key": f"return-{parcel.id}-{attempt:02d}"},
                )
            )
    transfer = {"batch": w.batch.id, "from_warehouse": "SBY-01", "to_warehouse": jakarta.code}
    # six transfers of `portion` kits, chosen so that whichever of them, the returns (the
    # failed parcels' kits come back during the race) and the allocation go first, what the
    # transfers leave always covers the round: its allocation must succeed
    returning = sum(p.kits for p in to_fail)
    portion = next(
        size
        for size in range(needed + 1, available)
        if all((available + back) % size >= needed for back in range(returning + 1))
    )
    for _ in range(6):
        calls.append((gunicorn, "/api/v1/transfers", storekeeper, transfer | {"quantity": portion}))
    for _ in range(3):
        calls.append((gunicorn, f"/api/v1/rounds/{second.id}/allocate", admin, {}))
    statuses = _all_at_once(calls)

    assert all(status is not None and status < 500 for status in statuses), statuses
    deliveries, returns = statuses[:32], statuses[32:48]
    transfers, allocations = statuses[48:54], statuses[54:]
    assert deliveries.count(200) == len(on_the_road) and deliveries.count(409) == 28
    assert returns.count(200) == len(to_fail) and returns.count(409) == 14
    # the shelf held `available` kits (+ `returning` coming back): never overdrawn
    most = (available + returning) // portion
    assert 1 <= transfers.count(201) <= most and set(transfers) <= {201, 409}, ANSWERS
    assert allocations.count(200) >= 1 and set(allocations) <= {200, 409}, ANSWERS

    db.session.rollback()  # see what the workers committed
    assert stock.reconciliation_problems(db.session) == []
    delivered_events = db.session.scalars(
        select(ParcelEvent.parcel_id).where(ParcelEvent.status == "delivered")
    ).all()
    assert sorted(delivered_events) == sorted(p.id for p in on_the_road)
    returned_kits = db.session.scalar(
        select(func.sum(StockMovement.quantity)).where(StockMovement.kind == MovementKind.RETURN)
    )
    assert returned_kits == sum(p.kits for p in to_fail)
    per_household = db.session.execute(
        select(Parcel.household_id, func.count())
        .where(Parcel.round_id == second.id, Parcel.status != "cancelled")
        .group_by(Parcel.household_id)
    ).all()
    assert per_household and all(count == 1 for _household, count in per_household)
    on_hand = stock.stock_level(db.session, batch_id=w.batch.id, warehouse_id=w.warehouse.id)
    assert on_hand.on_hand >= 0 and on_hand.reserved <= on_hand.on_hand
