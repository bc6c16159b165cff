"""Every CSV kitlog serves, loaded as an HXL tool loads it: libhxl's `hxl.data(url)` (the
library behind the HXL Proxy) fetching from a real server on a loopback port.

libhxl takes a CSV from a URL only when its content type is a CSV type with at most a
charset after it: `text/csv; charset=utf-8`. Anything more (`header=present`) and it
refuses the file, so a donor's dashboard would show nothing.

Nothing here goes past the loopback server: libhxl fetches nothing else to read a CSV,
and its validation runs on the schema it ships (no schema is fetched); every other address
is refused for the length of each test, and a test that asked for one fails.
"""

from __future__ import annotations

import re
import socket
from datetime import UTC, datetime, timedelta

import hxl
import pytest
import requests
from hxl.input import HXLIOException, InputOptions

from kitlog.blueprints.reports import exports
from kitlog.documents.spreadsheets import TABLES
from kitlog.extensions import db
from kitlog.models import FEEDBACK_CATEGORIES, Feedback, PdmResponse
from kitlog.services import share_links
from tests.conftest import PASSWORD
from tests.worlds import ReportWorld

CSV = "text/csv; charset=utf-8"
TABLE_TAGS = {
    "by_region": [
        "#org+funder",
        "#org+funder+code",
        "#org+impl",
        "#sector",
        "#item+code",
        "#item+name",
        "#country+code",
        "#adm1+name",
        "#adm1+code",
        "#adm2+name",
        "#adm2+code",
        "#date+start",
        "#date+end",
        "#x_kits+delivered",
        "#targeted+hh",
        "#reached+hh",
        "#reached+ind",
        "#x_reached+hh+vulnerable",
        "#x_parcels+delivered+collector",
        "#date+reported",
    ],
    "batches": [
        "#org+funder",
        "#org+funder+code",
        "#x_batch+lot",  # the lot names a batch everywhere; its agreement beside it
        "#x_batch+ref",
        "#item+code",
        "#item+name",
        "#loc+warehouse+code",
        "#date+received",
        "#date+expiry",
        "#x_kits+pledged",
        "#x_kits+received",
        "#x_kits+lost",
        "#x_kits+lost+reason",
        "#x_kits+adjusted",
        "#x_kits+onhand",
        "#x_kits+reserved",
        "#x_kits+transit",
        "#x_kits+delivered",
        "#reached+hh",
        "#reached+ind",
        "#x_reconciled",
        "#date+reported",
    ],
    "timeline": [
        "#org+funder",
        "#org+funder+code",
        "#date",
        "#x_kits+delivered",
        "#x_kits+delivered+cumulative",
        "#x_kits+targeted",
    ],
    "feedback": [
        "#org+funder",
        "#org+funder+code",
        "#x_feedback+category",
        "#x_feedback+name",
        "#x_feedback+received",
        "#x_feedback+resolved",
        "#x_feedback+resolved+days+median",
        "#date+reported",
    ],
    "pdm": [
        "#org+funder",
        "#org+funder+code",
        "#x_pdm+responses",
        "#x_pdm+complete+pct",
        "#x_pdm+satisfaction+mean",
        "#date+reported",
    ],
}


@pytest.fixture
def loopback_only(monkeypatch):
    """Refuse every address but the loopback server's; the test fails if one was asked for."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    outside: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost"):
            outside.append(str(host))
            raise OSError(f"this test reaches no address beyond the loopback: {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield
    assert outside == [], "libhxl tried to reach beyond the loopback server"


@pytest.fixture
def served(make, live_server, loopback_only):
    """The report scenario on a live server, and the ways a tool reaches its CSVs: an API
    token (a donor user's), a share link, and an administrator's browser session."""
    world = ReportWorld(make)
    world.play()
    add_feedback_and_pdm(world)
    donor = make.user("donor", donor=world.koica)
    admin = make.user("admin")
    _link, token = share_links.create_share_link(
        db.session, world.koica, label="HXL Proxy", user=None, now=datetime.now(UTC)
    )
    db.session.commit()
    return {
        "base": live_server,
        "world": world,
        "api_token": make.token(donor),
        "share_token": token,
        "admin_cookie": session_cookie(live_server, admin.email),
    }


def add_feedback_and_pdm(world: ReportWorld) -> None:
    """KOICA's parcels: two damaged kits (resolved in 1 and 2 days), a staff conduct
    complaint still open; two PDM responses, one complete."""
    received = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
    for n, (category, parcel, days) in enumerate(
        [("damaged", world.p[0], 1), ("damaged", world.p[1], 2), ("staff_conduct", world.p[2], 0)]
    ):
        db.session.add(
            Feedback(
                number=f"FB-2026-{n + 1:04d}",
                category=category,
                channel="officer",
                sensitive=category == "staff_conduct",
                household_id=parcel.household_id,
                parcel_id=parcel.id,
                text=f"Words that stay inside kitlog {n}",
                status="resolved" if days else "open",
                created_by_id=world.w.siti.id,
                created_at=received,
                resolved_at=received + timedelta(days=days) if days else None,
            )
        )
    db.session.add(PdmResponse(parcel_id=world.p[0].id, received_complete=True, satisfaction=5))
    db.session.add(PdmResponse(parcel_id=world.p[1].id, received_complete=False, satisfaction=2))
    db.session.commit()


def session_cookie(base: str, email: str) -> str:
    """Log in through the login form, as a browser does: the session's Cookie header."""
    browser = requests.Session()
    page = browser.get(f"{base}/login", timeout=30).text
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert csrf, "no CSRF token on the login page"
    answer = browser.post(
        f"{base}/login",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf.group(1)},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text[:300]
    return "; ".join(f"{name}={value}" for name, value in browser.cookies.items())


def report_url(served, way: str, table: str | None) -> tuple[str, dict[str, str]]:
    """A report CSV's address and the headers the tool sends to read it."""
    query = f"?table={table}" if table else ""
    if way == "api":
        return (
            f"{served['base']}/api/v1/reports/donors/KOICA.csv{query}",
            {"Authorization": f"Bearer {served['api_token']}", "Accept-Language": "en"},
        )
    if way == "share":
        return f"{served['base']}/share/{served['share_token']}.csv{query}", {}
    return f"{served['base']}/reports/donors/KOICA.csv{query}", {"Cookie": served["admin_cookie"]}


def load(url: str, headers: dict[str, str]) -> hxl.model.Dataset:
    """hxl.data(url) as the HXL Proxy calls it. allow_local: libhxl refuses an address on
    the machine it runs on (127.0.0.1 here) unless told; kitlog's public address needs no
    such option. scan_ckan_resources stays off: no CKAN lookup."""
    options = InputOptions(
        allow_local=True, http_headers=headers or None, timeout=30, scan_ckan_resources=False
    )
    return hxl.data(url, options).cache()


def by_tag(dataset: hxl.model.Dataset) -> list[dict[str, str]]:
    tags = dataset.display_tags
    return [dict(zip(tags, row.values, strict=True)) for row in dataset]


def no_errors(dataset: hxl.model.Dataset) -> list:
    """The issues of severity "error" that libhxl's own schema (shipped with it) finds:
    numbers where #targeted and #reached are, dates where #date is."""
    report = hxl.validate(dataset)
    return [issue for issue in report["issues"] if issue["rule"]["severity"] == "error"]


@pytest.mark.parametrize("way", ["page", "api", "share"])
def test_the_region_table_loads_in_libhxl_with_p_codes_and_targets(served, way):
    url, headers = report_url(served, way, None)  # the default table, as the old links ask
    dataset = load(url, headers)
    assert dataset.display_tags == TABLE_TAGS["by_region"]
    rows = by_tag(dataset)
    assert [(r["#adm1+name"], r["#adm1+code"], r["#adm2+name"]) for r in rows] == [
        ("Jawa Tengah", "ID33", "Kabupaten Cilacap"),
        ("Jawa Timur", "ID35", "Kabupaten Malang"),
        ("Jawa Timur", "ID35", "Kota Surabaya"),
    ]
    assert {r["#country+code"] for r in rows} == {"IDN"}
    assert {r["#org+funder+code"] for r in rows} == {"KOICA"}
    assert [r["#adm2+code"] for r in rows] == ["ID3301", "ID3507", "ID3578"]
    numbers = [
        [int(r[t]) for t in ("#x_kits+delivered", "#targeted+hh", "#reached+hh", "#reached+ind")]
        for r in rows
    ]
    assert numbers == [[0, 2, 0, 0], [4, 2, 2, 7], [2, 2, 1, 5]]
    assert all(int(r["#targeted+hh"]) >= int(r["#reached+hh"]) for r in rows)
    assert [(r["#date+start"], r["#date+end"]) for r in rows] == [
        ("", ""),
        ("2026-12-03", "2026-12-03"),
        ("2026-12-04", "2026-12-04"),
    ]
    assert no_errors(dataset) == []


@pytest.mark.parametrize("way", ["page", "api", "share"])
def test_the_batch_table_loads_in_libhxl_and_every_batch_reconciles(served, way):
    dataset = load(*report_url(served, way, "batches"))
    assert dataset.display_tags == TABLE_TAGS["batches"]
    rows = {r["#x_batch+lot"]: r for r in by_tag(dataset)}
    assert set(rows) == {"LOT-S", "LOT-A", "LOT-B"}  # KOICA's lots only
    for lot, row in rows.items():
        kits = {t: int(row[f"#x_kits+{t}"]) for t in ("received", "adjusted", "lost")} | {
            t: int(row[f"#x_kits+{t}"]) for t in ("onhand", "transit", "delivered")
        }
        assert kits["received"] + kits["adjusted"] == (
            kits["lost"] + kits["onhand"] + kits["transit"] + kits["delivered"]
        ), lot
    a = rows["LOT-A"]
    assert [int(a[f"#x_kits+{t}"]) for t in ("received", "lost", "onhand", "delivered")] == [
        10,
        1,
        2,
        6,
    ]
    assert (int(a["#reached+hh"]), int(a["#reached+ind"])) == (3, 12)
    assert a["#date+expiry"] == "2027-01-15"
    assert no_errors(dataset) == []


@pytest.mark.parametrize("way", ["page", "api", "share"])
def test_the_timeline_loads_in_libhxl_day_by_day(served, way):
    dataset = load(*report_url(served, way, "timeline"))
    assert dataset.display_tags == TABLE_TAGS["timeline"]
    rows = by_tag(dataset)
    assert [
        (r["#date"], int(r["#x_kits+delivered"]), int(r["#x_kits+delivered+cumulative"]))
        for r in rows
    ] == [("2026-12-03", 4, 4), ("2026-12-04", 2, 6)]
    assert {int(r["#x_kits+targeted"]) for r in rows} == {85}
    assert no_errors(dataset) == []


@pytest.mark.parametrize("way", ["page", "api", "share"])
def test_the_feedback_table_loads_in_libhxl_a_row_per_category_counts_only(served, way):
    dataset = load(*report_url(served, way, "feedback"))
    assert dataset.display_tags == TABLE_TAGS["feedback"]
    rows = by_tag(dataset)
    assert [r["#x_feedback+category"] for r in rows] == list(FEEDBACK_CATEGORIES)
    received = {r["#x_feedback+category"]: int(r["#x_feedback+received"]) for r in rows}
    assert received == {c: 0 for c in FEEDBACK_CATEGORIES} | {"damaged": 2, "staff_conduct": 1}
    resolved = {r["#x_feedback+category"]: r["#x_feedback+resolved+days+median"] for r in rows}
    assert (resolved["damaged"], resolved["staff_conduct"]) == ("1.5", "")
    names = {r["#x_feedback+category"]: r["#x_feedback+name"] for r in rows}
    # in the reader's language: the API's asked for English; the share link and the
    # administrator (whose language is kitlog's default) read Indonesian
    assert names["staff_conduct"] == ("Staff conduct" if way == "api" else "Perilaku petugas")
    assert no_errors(dataset) == []


@pytest.mark.parametrize("way", ["page", "api", "share"])
def test_the_pdm_table_loads_in_libhxl_as_one_row(served, way):
    dataset = load(*report_url(served, way, "pdm"))
    assert dataset.display_tags == TABLE_TAGS["pdm"]
    (row,) = by_tag(dataset)
    assert (row["#org+funder+code"], row["#x_pdm+responses"]) == ("KOICA", "2")
    assert (row["#x_pdm+complete+pct"], row["#x_pdm+satisfaction+mean"]) == ("50.0", "3.5")
    assert no_errors(dataset) == []


def test_the_household_export_loads_in_libhxl(served):
    dataset = load(f"{served['base']}/households/export.csv", {"Cookie": served["admin_cookie"]})
    tags = dataset.display_tags
    assert tags[0] == "#household+code"
    assert {"#adm1+name", "#adm2+name", "#reached+ind"} <= set(tags)
    rows = by_tag(dataset)
    assert len(rows) == len(served["world"].households) == 6
    assert [r["#adm2+name"] for r in rows][:3] == [
        "Kabupaten Malang",
        "Kabupaten Malang",
        "Kota Surabaya",
    ]


def test_every_csv_is_served_as_exactly_text_csv_utf8(served):
    cookie = {"Cookie": served["admin_cookie"]}
    addresses = [
        report_url(served, way, table)
        for way in ("page", "api", "share")
        for table in (None, *TABLES)
    ]
    addresses += [
        (f"{served['base']}/households/export.csv", cookie),
        (f"{served['base']}/households/imports/template.csv", cookie),
    ]
    for url, headers in addresses:
        answer = requests.get(url, headers=headers, timeout=30)
        assert answer.status_code == 200, url
        assert answer.headers["Content-Type"] == CSV, url


def test_libhxl_refuses_a_csv_whose_content_type_says_more(served, monkeypatch):
    """Why the content type is exactly that: with `header=present` after it (as kitlog
    once served it) libhxl does not read the file at all."""
    monkeypatch.setattr(exports, "CSV_CONTENT_TYPE", "text/csv; charset=utf-8; header=present")
    with pytest.raises(HXLIOException, match="Cannot process as data"):
        load(*report_url(served, "share", None))
