"""Labels read back as a scanner meets them: printed at 300 and 203 dpi, then read from the
print itself and from a phone's photo of it (blurred σ 1.5 camera pixels at 5 pixels a
mm, JPEG, turned a few degrees; see capture.py). On every layout at least 95 % of a
run's labels decode, each to its own parcel's URL and never to another's."""

from __future__ import annotations

import pytest

from kitlog.documents.labels import LAYOUTS, render_labels
from tests.documents.capture import OFFICE_DPI, PHONE, PRINT, THERMAL_DPI, scan
from tests.documents.label_runs import make_labels

# Two sheets of each A4 layout; forty labels off the thermal roll.
COUNT = {"a4-3x8": 48, "a4-3x7": 42, "thermal-50x30": 40}


@pytest.fixture(scope="module")
def printed() -> dict[str, tuple[bytes, list[str]]]:
    """Each layout's PDF of its labels, and their URLs in order."""
    runs = {}
    for name, layout in LAYOUTS.items():
        labels = make_labels(COUNT.get(name, 2 * layout.per_page))
        runs[name] = (render_labels(labels, layout), [label.url for label in labels])
    return runs


@pytest.mark.parametrize("capture", [PRINT, PHONE[1.5]], ids=["print", "phone"])
@pytest.mark.parametrize("dpi", [OFFICE_DPI, THERMAL_DPI])
@pytest.mark.parametrize("name", list(LAYOUTS))
def test_labels_read_back_as_their_own_url_from_a_print_and_a_phone_photo(
    printed, name, dpi, capture
):
    pdf, urls = printed[name]
    result = scan(pdf, LAYOUTS[name], urls, capture, dpi=dpi)
    assert result.total == len(urls) >= 40
    assert not result.wrong  # no label reads as another parcel
    assert result.rate >= 0.95, f"{result.read} of {result.total} read, missed {result.missed}"
