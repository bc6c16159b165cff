"""The triggers that keep the kept figures (kitlog.models.figures), and the same figures
recomputed from the rows, on SQLite and PostgreSQL.

Each figure is written by an upsert that adds to it (`ON CONFLICT … DO UPDATE SET x =
x + excluded.x`), never read first and written back, so two transactions that change
the same figure both count: PostgreSQL locks the row for the second until the first
ends, SQLite has one writer at a time. The triggers run inside the statement that
writes a movement, a parcel's line or a parcel's status, so the figures change in the
same transaction, whichever code (or script) makes the change:

- a movement inserted into the ledger (which refuses UPDATE and DELETE) adds to its
  `ledger_totals` row;
- a parcel's line inserted adds its kits under the parcel's status, and, when its
  parcel is delivered, to the household's and the donor's delivered figures; a parcel
  counts once for a donor: only the first of its lines of that donor's batches counts
  it (a BEFORE INSERT trigger, which sees the lines inserted before it, on both);
- a parcel whose status, household, failure, recipient or moment of delivery changes
  takes its old contribution away and adds its new one.

A parcel's lines are written once, when it is allocated, and never changed: the
database refuses to UPDATE or DELETE them (append-only triggers, migration 0016), so
their inserts are all the figures need to follow.

`recompute_sql` gives, for each kept table, the SELECT that computes it from the rows:
migration 0016 fills the tables with it, and `services.kept_figures` compares them.
"""

# The SQL below is built from this module's constants only, never from input.
# ruff: noqa: S608

from __future__ import annotations

QUARTER_SECONDS = 900  # the timeline's unit: every time zone's day starts on one

DELIVERED = "'delivered'"


def _quarter(moment: str, dialect: str) -> str:
    """A UTC instant as its quarter hour: whole seconds since 1970 // 900."""
    if dialect == "sqlite":
        return f"(CAST(strftime('%s', {moment}) AS INTEGER) / {QUARTER_SECONDS})"
    return f"CAST(floor(extract(epoch FROM {moment}) / {QUARTER_SECONDS}) AS BIGINT)"


def _no_moment(dialect: str) -> str:
    return "NULL" if dialect == "sqlite" else "CAST(NULL AS TIMESTAMPTZ)"


def _parcel(p: str) -> dict[str, str]:
    """What a parcel row `p` (OLD, NEW or an alias) contributes, as 0/1 terms."""
    delivered = f"{p}.status = {DELIVERED}"
    return {
        "live": f"(CASE WHEN {p}.status <> 'cancelled' THEN 1 ELSE 0 END)",
        "delivered": f"(CASE WHEN {delivered} THEN 1 ELSE 0 END)",
        "collector": (
            f"(CASE WHEN {delivered} AND {p}.recipient_kind = 'collector' THEN 1 ELSE 0 END)"
        ),
        "failed": f"(CASE WHEN {p}.failed_once AND NOT ({delivered}) THEN 1 ELSE 0 END)",
        "failed_once": f"(CASE WHEN {p}.failed_once THEN 1 ELSE 0 END)",
        "moment": f"(CASE WHEN {delivered} THEN COALESCE({p}.delivered_at, {p}.updated_at) END)",
    }


def _upsert(table: str, columns: list[str], key: int, select: str, merged: int = 0) -> str:
    """INSERT the SELECT's rows; a row whose key (the first `key` columns) exists adds to
    it. The last `merged` columns are a first and a last moment, kept as the earlier
    and the later."""
    added = columns[key : len(columns) - merged]
    sets = [f"{c} = {table}.{c} + excluded.{c}" for c in added]
    if merged:
        first, last = columns[-2:]
        sets += [
            f"{first} = CASE WHEN excluded.{first} IS NOT NULL AND ({table}.{first} IS NULL"
            f" OR excluded.{first} < {table}.{first}) THEN excluded.{first}"
            f" ELSE {table}.{first} END",
            f"{last} = CASE WHEN excluded.{last} IS NOT NULL AND ({table}.{last} IS NULL"
            f" OR excluded.{last} > {table}.{last}) THEN excluded.{last} ELSE {table}.{last} END",
        ]
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) {select}"
        f" ON CONFLICT ({', '.join(columns[:key])}) DO UPDATE SET {', '.join(sets)}"
    )


LEDGER_COLUMNS = ["batch_id", "warehouse_id", "kind", "reason", "quantity", "movements"]
KIT_COLUMNS = ["batch_id", "status", "kits"]
BATCH_HOUSEHOLD_COLUMNS = ["batch_id", "household_id", "delivered_kits"]
DONOR_HOUSEHOLD_COLUMNS = [
    "donor_id",
    "household_id",
    "live_parcels",
    "delivered_parcels",
    "delivered_kits",
    "collector_parcels",
    "failed_parcels",
    "failed_once_parcels",
    "first_delivered_at",
    "last_delivered_at",
]
QUARTER_COLUMNS = ["donor_id", "quarter", "kits"]
# table -> (columns, how many of them are the key)
KEPT_TABLES: dict[str, tuple[list[str], int]] = {
    "ledger_totals": (LEDGER_COLUMNS, 4),
    "parcel_kit_totals": (KIT_COLUMNS, 2),
    "batch_household_figures": (BATCH_HOUSEHOLD_COLUMNS, 2),
    "donor_household_figures": (DONOR_HOUSEHOLD_COLUMNS, 2),
    "donor_delivery_quarters": (QUARTER_COLUMNS, 2),
}

LOSS_REASON = "CASE WHEN {m}.kind = 'loss' THEN {m}.reason ELSE '' END"


def _ledger_statements() -> list[str]:
    """A movement inserted: its row of ledger_totals."""
    select = (
        "SELECT NEW.batch_id, NEW.warehouse_id, NEW.kind, "
        + LOSS_REASON.format(m="NEW")
        + ", NEW.quantity, 1 WHERE 1 = 1"
    )
    return [_upsert("ledger_totals", LEDGER_COLUMNS, 4, select)]


def _line_statements(dialect: str) -> list[str]:
    """A parcel's line about to be inserted (NEW; the lines before it are visible)."""
    p = _parcel("p")
    of_parcel = "FROM parcels p WHERE p.id = NEW.parcel_id"
    with_donor = (
        "FROM parcels p JOIN donor_batches b ON b.id = NEW.batch_id WHERE p.id = NEW.parcel_id"
    )
    # 1 when no line of the same donor is in the parcel yet: the parcel counts once.
    first = (
        "(CASE WHEN EXISTS (SELECT 1 FROM parcel_lines l2 JOIN donor_batches b2"
        " ON b2.id = l2.batch_id WHERE l2.parcel_id = NEW.parcel_id"
        " AND l2.batch_id <> NEW.batch_id AND b2.donor_id = b.donor_id) THEN 0 ELSE 1 END)"
    )
    return [
        _upsert(
            "parcel_kit_totals",
            KIT_COLUMNS,
            2,
            f"SELECT NEW.batch_id, p.status, NEW.kits {of_parcel}",
        ),
        _upsert(
            "batch_household_figures",
            BATCH_HOUSEHOLD_COLUMNS,
            2,
            f"SELECT NEW.batch_id, p.household_id, NEW.kits {of_parcel} AND p.status = {DELIVERED}",
        ),
        _upsert(
            "donor_household_figures",
            DONOR_HOUSEHOLD_COLUMNS,
            2,
            f"SELECT b.donor_id, p.household_id, {first} * {p['live']},"
            f" {first} * {p['delivered']}, {p['delivered']} * NEW.kits,"
            f" {first} * {p['collector']}, {first} * {p['failed']},"
            f" {first} * {p['failed_once']}, {p['moment']}, {p['moment']} {with_donor}",
            merged=2,
        ),
        _upsert(
            "donor_delivery_quarters",
            QUARTER_COLUMNS,
            2,
            f"SELECT b.donor_id, {_quarter(p['moment'], dialect)}, NEW.kits {with_donor}"
            f" AND p.status = {DELIVERED}",
        ),
    ]


def _parcel_statements(dialect: str) -> list[str]:
    """A parcel changed (OLD to NEW): its old contribution taken away, its new one added."""
    # The kits by batch and status: the old status's row and the new one's in one
    # statement, in key order, so that two parcels moving between the same two statuses
    # in opposite directions (loaded onto a manifest, taken off one) lock the two rows in
    # the same order and never wait for each other (a deadlock).
    statements = [
        _upsert(
            "parcel_kit_totals",
            KIT_COLUMNS,
            2,
            "SELECT batch_id, status, SUM(kits) FROM ("
            " SELECT l.batch_id AS batch_id, OLD.status AS status, -l.kits AS kits"
            " FROM parcel_lines l WHERE l.parcel_id = OLD.id"
            " UNION ALL SELECT l.batch_id, NEW.status, l.kits"
            " FROM parcel_lines l WHERE l.parcel_id = NEW.id"
            ") AS changes WHERE true GROUP BY batch_id, status ORDER BY batch_id, status",
        )
    ]
    for row, sign in (("OLD", "-"), ("NEW", "")):
        p = _parcel(row)
        lines = f"FROM parcel_lines l WHERE l.parcel_id = {row}.id"
        by_donor = (
            "FROM parcel_lines l JOIN donor_batches b ON b.id = l.batch_id"
            f" WHERE l.parcel_id = {row}.id"
        )
        moment = p["moment"] if row == "NEW" else _no_moment(dialect)
        statements += [
            _upsert(
                "batch_household_figures",
                BATCH_HOUSEHOLD_COLUMNS,
                2,
                f"SELECT l.batch_id, {row}.household_id, {sign}l.kits {lines}"
                f" AND {row}.status = {DELIVERED}",
            ),
            _upsert(
                "donor_household_figures",
                DONOR_HOUSEHOLD_COLUMNS,
                2,
                f"SELECT b.donor_id, {row}.household_id, {sign}{p['live']},"
                f" {sign}{p['delivered']}, {sign}{p['delivered']} * SUM(l.kits),"
                f" {sign}{p['collector']}, {sign}{p['failed']}, {sign}{p['failed_once']},"
                f" {moment}, {moment} {by_donor} GROUP BY b.donor_id",
                merged=2,
            ),
            _upsert(
                "donor_delivery_quarters",
                QUARTER_COLUMNS,
                2,
                f"SELECT b.donor_id, {_quarter(p['moment'], dialect)}, {sign}SUM(l.kits)"
                f" {by_donor} AND {row}.status = {DELIVERED} GROUP BY b.donor_id",
            ),
        ]
        if row == "OLD":
            # A delivery taken away: the household's first and last moments for the
            # donor are found again among its parcels (never the case today: no action
            # leads out of delivered, but a moment may be corrected).
            moments = (
                "(SELECT {f}(COALESCE(p.delivered_at, p.updated_at)) FROM parcels p"
                " JOIN parcel_lines l ON l.parcel_id = p.id"
                " JOIN donor_batches b ON b.id = l.batch_id"
                " WHERE p.household_id = donor_household_figures.household_id"
                " AND b.donor_id = donor_household_figures.donor_id"
                f" AND p.status = {DELIVERED})"
            )
            statements.append(
                "UPDATE donor_household_figures SET"
                f" first_delivered_at = {moments.format(f='MIN')},"
                f" last_delivered_at = {moments.format(f='MAX')}"
                f" WHERE household_id = OLD.household_id AND OLD.status = {DELIVERED}"
                " AND donor_id IN (SELECT b.donor_id FROM parcel_lines l"
                " JOIN donor_batches b ON b.id = l.batch_id WHERE l.parcel_id = OLD.id)"
            )
    return statements


def _parcel_changed(dialect: str) -> str:
    """The trigger's condition: a column the figures depend on changed."""
    differs = "IS NOT" if dialect == "sqlite" else "IS DISTINCT FROM"
    old, new = _parcel("OLD"), _parcel("NEW")
    pairs = [(f"OLD.{c}", f"NEW.{c}") for c in ("status", "household_id", "failed_once")]
    pairs += [(old["collector"], new["collector"]), (old["moment"], new["moment"])]
    return " OR ".join(f"{a} {differs} {b}" for a, b in pairs)


# (trigger name, table, timing and event, statements, PostgreSQL's RETURN)
def _triggers(dialect: str) -> list[tuple[str, str, str, list[str], str]]:
    return [
        ("stock_movements_kept_figures", "stock_movements", "AFTER INSERT",
         _ledger_statements(), "NULL"),
        ("parcel_lines_kept_figures", "parcel_lines", "BEFORE INSERT",
         _line_statements(dialect), "NEW"),
        ("parcels_kept_figures", "parcels", "AFTER UPDATE",
         _parcel_statements(dialect), "NULL"),
    ]  # fmt: skip


def create_triggers(dialect: str) -> list[str]:
    """The statements that create the triggers on `dialect` ("sqlite", "postgresql")."""
    created = []
    for name, table, event, statements, returned in _triggers(dialect):
        when = f" WHEN ({_parcel_changed(dialect)})" if table == "parcels" else ""
        body = "; ".join(statements) + ";"
        if dialect == "sqlite":
            created.append(f"CREATE TRIGGER {name} {event} ON {table} FOR EACH ROW{when}"
                           f" BEGIN {body} END")  # fmt: skip
            continue
        created += [
            f"CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN {body}"
            f" RETURN {returned}; END $$ LANGUAGE plpgsql",
            f"CREATE TRIGGER {name} {event} ON {table} FOR EACH ROW{when}"
            f" EXECUTE FUNCTION {name}()",
        ]
    return created


def drop_triggers(dialect: str) -> list[str]:
    """The statements that drop what `create_triggers` made."""
    dropped = []
    for name, table, *_rest in _triggers(dialect):
        if dialect == "sqlite":
            dropped.append(f"DROP TRIGGER IF EXISTS {name}")
        else:
            dropped += [
                f"DROP TRIGGER IF EXISTS {name} ON {table}",
                f"DROP FUNCTION IF EXISTS {name}()",
            ]
    return dropped


def recompute_sql(dialect: str) -> dict[str, str]:
    """For each kept table, the SELECT of its rows computed from the ledger and the
    parcels (its columns in KEPT_TABLES' order)."""
    p = _parcel("p")
    lines = "FROM parcel_lines l JOIN parcels p ON p.id = l.parcel_id"
    reason = LOSS_REASON.format(m="m")
    return {
        "ledger_totals": (
            f"SELECT m.batch_id, m.warehouse_id, m.kind, {reason}, SUM(m.quantity), COUNT(*)"
            f" FROM stock_movements m GROUP BY m.batch_id, m.warehouse_id, m.kind, {reason}"
        ),
        "parcel_kit_totals": (
            f"SELECT l.batch_id, p.status, SUM(l.kits) {lines} GROUP BY l.batch_id, p.status"
        ),
        "batch_household_figures": (
            f"SELECT l.batch_id, p.household_id, SUM(l.kits) {lines}"
            f" WHERE p.status = {DELIVERED} GROUP BY l.batch_id, p.household_id"
        ),
        # each parcel once per donor, then each household
        "donor_household_figures": (
            "SELECT donor_id, household_id, SUM(live), SUM(delivered), SUM(delivered * kits),"
            " SUM(collector), SUM(failed), SUM(failed_once), MIN(moment), MAX(moment)"
            f" FROM (SELECT b.donor_id, p.household_id, {p['live']} AS live,"
            f" {p['delivered']} AS delivered, SUM(l.kits) AS kits,"
            f" {p['collector']} AS collector, {p['failed']} AS failed,"
            f" {p['failed_once']} AS failed_once, {p['moment']} AS moment"
            f" {lines} JOIN donor_batches b ON b.id = l.batch_id"
            " GROUP BY b.donor_id, p.id, p.household_id) AS per_parcel"
            " GROUP BY donor_id, household_id"
        ),
        "donor_delivery_quarters": (
            f"SELECT b.donor_id, {_quarter(p['moment'], dialect)}, SUM(l.kits) {lines}"
            f" JOIN donor_batches b ON b.id = l.batch_id WHERE p.status = {DELIVERED}"
            f" GROUP BY b.donor_id, {_quarter(p['moment'], dialect)}"
        ),
    }


def fill_statements(dialect: str) -> list[str]:
    """INSERT every kept table's rows, computed from the rows (the tables empty)."""
    return [
        f"INSERT INTO {table} ({', '.join(KEPT_TABLES[table][0])}) {select}"
        for table, select in recompute_sql(dialect).items()
    ]
