"""A scan finds its parcel, and everything its answer shows, by index: the one statement
that reads them never walks a whole table, however many parcels there are."""

from __future__ import annotations

from sqlalchemy import select, text

from kitlog.extensions import db
from kitlog.models import Parcel
from kitlog.services import scans


def _plan(db_backend: str, sql: str) -> list[str]:
    if db_backend == "sqlite":
        return [row[3] for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql))]
    db.session.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table may be scanned
    return [row[0] for row in db.session.execute(text("EXPLAIN " + sql))]


def test_the_scans_parcel_and_its_answer_are_read_by_index(app, db_backend):
    query = select(Parcel).where(Parcel.short_code == "ABCDEFGHJ").options(*scans._SCAN_LOADS)
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    plan = _plan(db_backend, sql)
    walks = [step for step in plan if step.startswith("SCAN") or "Seq Scan" in step]
    assert plan and not walks, "\n".join(plan)
