"""Lists of rounds and parcels load their households, warehouses and batches with the
page, not one query per row (N+1): the count of statements does not grow with the rows."""

from __future__ import annotations

from sqlalchemy import event

from kitlog.extensions import db
from kitlog.services import distribution as dist


def statements_run_by(call) -> int:
    seen = []

    def record(*_args):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return len(seen)


def _rounds_with_parcels(make, households: int, rounds: int):
    batch = make.batch(received=500)
    for _ in range(households):
        make.household()
    made = []
    for n in range(rounds):
        round_ = dist.create_round(
            db.session,
            name=f"Round {n}",
            batches=[batch],
            warehouse=batch.warehouse,
            entitlement=1,
            user=None,
        )
        made.append(round_)
    dist.allocate(db.session, made[0], user=None)
    db.session.commit()
    return made[0]


def test_lists_of_parcels_and_rounds_do_not_query_once_per_row(client, login, make, api):
    round_ = _rounds_with_parcels(make, households=30, rounds=6)
    admin = api("admin")
    assert statements_run_by(lambda: admin.get(f"/api/v1/rounds/{round_.id}/parcels")) < 15
    assert statements_run_by(lambda: admin.get("/api/v1/rounds")) < 12
    login("admin")
    assert statements_run_by(lambda: client.get(f"/rounds/{round_.id}")) < 25
    assert statements_run_by(lambda: client.get("/rounds/")) < 12
