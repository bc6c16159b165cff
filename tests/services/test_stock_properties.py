"""Rules 1 and 4 under any sequence of receipts, transfers, adjustments and losses."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kitlog.extensions import db
from kitlog.services import stock
from kitlog.services.errors import DomainError, OutOfStock
from kitlog.services.kept_figures import kept_figures_problems

WAREHOUSES = 3

operation = st.one_of(
    st.tuples(
        st.just("transfer"),
        st.integers(0, WAREHOUSES - 1),
        st.integers(0, WAREHOUSES - 1),
        st.integers(-5, 80),
    ),
    st.tuples(st.just("loss"), st.integers(0, WAREHOUSES - 1), st.integers(-80, 5)),
    st.tuples(st.just("adjustment"), st.integers(0, WAREHOUSES - 1), st.integers(-80, 80)),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    received=st.integers(1, 200),
    damaged=st.integers(0, 20),
    operations=st.lists(operation, max_size=15),
)
def test_any_sequence_of_operations_keeps_stock_non_negative_and_reconciled(
    make, received, damaged, operations
):
    damaged = min(damaged, received)
    warehouses = _warehouses(make)
    batch = make.batch(received=received, damaged=damaged, warehouse=warehouses[0])
    expected = [received - damaged, 0, 0]
    for op in operations:
        try:
            if op[0] == "transfer":
                _kind, src, dst, qty = op
                stock.transfer_stock(
                    db.session,
                    batch=batch,
                    from_warehouse=warehouses[src],
                    to_warehouse=warehouses[dst],
                    quantity=qty,
                    user=None,
                )
                expected[src] -= qty
                expected[dst] += qty
            else:
                kind, where, qty = op
                stock.adjust_stock(
                    db.session,
                    batch=batch,
                    warehouse=warehouses[where],
                    quantity=qty,
                    kind=kind,
                    reason="property test",
                    user=None,
                )
                expected[where] += qty
            db.session.commit()
        except OutOfStock as error:
            db.session.rollback()
            assert error.requested > error.available
        except DomainError:
            db.session.rollback()
        # the ledger's kept totals are what its rows add up to, after every operation
        assert kept_figures_problems(db.session) == []
    levels = {
        lvl.warehouse_id: lvl.on_hand for lvl in stock.stock_levels(db.session, batch_id=batch.id)
    }
    actual = [levels.get(w.id, 0) for w in warehouses]
    assert actual == expected
    assert min(actual) >= 0
    summary = stock.batch_summaries(db.session, [batch.id])[batch.id]
    assert summary.reconciled
    assert summary.on_hand == sum(expected)
    assert stock.reconciliation_problems(db.session) == []


def _warehouses(make):
    from kitlog.models import Warehouse

    found = db.session.query(Warehouse).order_by(Warehouse.code).all()
    if len(found) < WAREHOUSES:
        found = [make.warehouse(f"WH-{i}") for i in range(WAREHOUSES)]
    return found
