"""A donor reads their report on a desk and on a phone: Chart.js (vendored) really draws
the deliveries over time against the target, and nothing is wider than a phone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.helpers import assert_no_sideways_scroll, log_in
from tests.worlds import ReportWorld

pytestmark = pytest.mark.browser

# KITLOG_SCREENSHOTS=docs/screenshots keeps the phone's picture for the docs.
SHOTS = Path(os.environ.get("KITLOG_SCREENSHOTS", "/tmp/shots"))  # noqa: S108

# How many pixels of the chart's canvas something was drawn on, and the chart itself.
CHART_JS = """() => {
  const canvas = document.getElementById("report-chart");
  const chart = window.Chart && window.Chart.getChart(canvas);
  const { width, height } = canvas;
  const pixels = canvas.getContext("2d").getImageData(0, 0, width, height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted += 1;
  return {
    painted, width, height,
    datasets: chart ? chart.data.datasets.map((d) => d.data) : null,
    labels: chart ? chart.data.labels : null,
    visible: !canvas.closest("figure").hidden,
    tableOpen: document.querySelector("[data-report-days]").open,
  };
}"""


@pytest.fixture
def donor(make):
    world = ReportWorld(make)
    world.play()
    return make.user("donor", donor=world.koica)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_chart_is_drawn_and_the_page_fits(new_page, donor, size):
    page = new_page(size)
    log_in(page, donor.email)
    page.goto("/reports/donors/KOICA")
    page.wait_for_function("() => window.kitlogReportChart !== undefined")
    chart = page.evaluate(CHART_JS)
    assert chart["visible"] and not chart["tableOpen"]  # the chart replaces the table
    assert chart["datasets"] == [[4, 2], [4, 6], [85, 85]]  # a day, in total, the target
    assert chart["labels"] == ["3 Des", "4 Des"]  # Indonesian dates
    assert chart["width"] > 200 and chart["height"] > 150
    assert chart["painted"] > 0.02 * chart["width"] * chart["height"], chart
    main = page.locator("main").inner_text()
    assert "60%" in main  # the success rate
    assert "rekonsiliasi" in main.lower() or "reconciles" in main.lower()
    if size == "phone":
        assert_no_sideways_scroll(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / "donor-report-phone.png", full_page=True)


def test_without_javascript_the_days_are_a_table(new_page, donor, chromium, live_server):
    context = chromium.new_context(
        base_url=live_server, java_script_enabled=False, viewport={"width": 390, "height": 844}
    )
    try:
        page = context.new_page()
        log_in(page, donor.email)
        page.goto("/reports/donors/KOICA")
        assert page.locator("[data-report-chart]").is_hidden()
        table = page.locator(".report-days-table")
        assert table.is_visible()
        assert table.locator("tbody tr").count() == 2
    finally:
        context.close()
