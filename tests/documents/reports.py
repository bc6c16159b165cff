"""A donor report with figures that add up, as the services hand it to the document builders
(shared by the PDF, spreadsheet and presentation tests)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from kitlog.models import Donor
from kitlog.services.reports import BatchFigures, DayFigures, DonorReport, RegionFigures


def batch_figures(reference="KOICA-2025-01", **kw) -> BatchFigures:
    """One batch's line of the report, these figures changed."""
    figures = dict(
        id=1,
        reference=reference,
        lot="L-001",
        kit_type="HK-FAM",
        warehouse="SBY-01",
        received_date=date(2025, 1, 6),
        expiry_date=date(2027, 1, 31),
        pledged=3000,
        received=3000,
        lost=12,
        lost_by_reason={"water damage": 10, "torn in transit": 2},
        adjusted=-3,
        on_hand=1285,
        reserved=400,
        in_transit=200,
        delivered=1500,
        households_reached=1400,
        people_reached=5320,
        kit_name="Family hygiene kit",
        kit_name_id="Paket kebersihan keluarga",
    )
    figures.update(kw)
    return BatchFigures(**figures)


def sample_report(
    *,
    donor_name="Korea International Cooperation Agency",
    province="Jawa Timur",
    regency="Kabupaten Malang",
    kit_type="HK-FAM",
    reference="KOICA-2025-01",
) -> DonorReport:
    """A report as `donor_report` hands it over; the numbers add up (received + adjusted =
    lost + on hand + in transit + delivered: 3000 - 3 = 12 + 1285 + 200 + 1500), and every
    region targeted at least the households it reached."""
    second = batch_figures(
        "KOICA-2025-02",
        id=2,
        lot="L-002",
        pledged=2000,
        received=2000,
        lost=0,
        lost_by_reason={},
        adjusted=0,
        on_hand=1600,
        reserved=0,
        in_transit=0,
        delivered=400,
        households_reached=400,
        people_reached=1480,
        expiry_date=date(2025, 4, 30),
    )
    # province, its code, regency; kits delivered, households reached, people, vulnerable
    regions = [
        RegionFigures(
            "Jawa Tengah", "33", "Kabupaten Cilacap", 400, 400, 1480, 90,
            households_targeted=450, regency_code="33.01",
            first_delivery=date(2025, 3, 3), last_delivery=date(2025, 3, 3),
        ),
        RegionFigures(
            province, "35", regency, 1500, 1400, 5320, 310,
            households_targeted=1600, regency_code="35.07",
            first_delivery=date(2025, 2, 3), last_delivery=date(2025, 2, 10),
        ),
    ]  # fmt: skip
    return DonorReport(
        donor=Donor(code="KOICA", name=donor_name, country="Korea"),
        generated_at=datetime(2025, 3, 14, 3, 30, tzinfo=UTC),
        today=date(2025, 3, 14),
        batches=[batch_figures(reference, kit_type=kit_type), second],
        by_region=regions,
        timeline=[
            DayFigures(date(2025, 2, 3), 600, 600),
            DayFigures(date(2025, 2, 10), 700, 1300),
            DayFigures(date(2025, 3, 3), 600, 1900),
        ],
        target=5000,
        households_reached=1800,
        people_reached=6800,
        vulnerable_households_reached=400,
        parcels_delivered=1800,
        parcels_failed=45,
        expiring=[second],
    )
