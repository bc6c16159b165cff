"""No malformed request ever answers 500, and a refused one changes nothing.

A corpus of broken bodies (wrong JSON, wrong types, huge or hostile values, wrong
content types) is fired at every POST endpoint of these sections, and broken queries
and paths at every GET. Each must be refused with a problem+json answer.
"""

from __future__ import annotations

import pytest

from tests.api.helpers import PROBLEM_JSON
from tests.api.malformed import WHOLE_BODY, Raw, encode, refusal_fault

BATCH = -424242  # stands for the world's batch id
TEN_MB = "x" * (10 * 1024 * 1024)


HOSTILE_TYPES = [None, 5, True, [], {}, ["JKT-01"], {"code": "JKT-01"}]
BAD_TEXT = ["\x00", "a\x00b", "bell\x07", "esc\x1b[31m", "del\x7f", "\ud800", "x" * 1001, TEN_MB]
OPTIONAL = {
    "country",
    "address",
    "note",
    "expiry_date",
    "quantity_damaged",
    "phone",
    "vulnerabilities",
    "consent_date",
    "province",
    "regency",
    "members_per_kit",
}
BAD_NUMBERS = [
    5.5,
    5.0,
    "5",
    "",
    -1,
    10**30,
    -(10**30),
    10_000_001,
    Raw("1e400"),
    Raw("-1e400"),
    Raw("NaN"),
    Raw("Infinity"),
]

MUTATIONS = {
    "nik": HOSTILE_TYPES[:5]
    + BAD_TEXT
    + ["", "123", "0034567890123456", "35071205068500321", "3507120506850000", "350712O506850032"]
    + [3507120506850032, 3.507120506850032e15],
    "phone": [5, True, [], {}, "12345", "+1 555 0100", "0812", "0812-ABCD-1234"] + BAD_TEXT,
    "province": HOSTILE_TYPES[1:5] + BAD_TEXT + ["Atlantis", "99", "Jawa"],
    "relation": HOSTILE_TYPES[:5] + BAD_TEXT + ["", "cousin", "suami istri anak"],
    "members": [None, True, [], {}, 0, 51, "4", 4.5, -1, 10**30, Raw("1e400"), Raw("NaN")],
    "vulnerabilities": [5, True, {}, "elderly", ["flying"], [5], ["elderly\x00"], [None]]
    + [["x" * 41], ["elderly"] * 11],
    "consent": [None, 1, 0, "yes", "true", [], {}, "ya"],
    "consent_date": ["", "2020-13-45", "31-12-2020", 2020, True, {}, "9999-12-31"],
    "id_list": [None, [], {}, "1", 1, [0], [-1], [2**31], [True], ["1"], [1.5], [999_999]]
    + [[None], [Raw("1e400")]],
    "entitlement": [None, True, [], {}, 0, 101, "1", 1.5, -1, 10**30, Raw("NaN")],
    "members_per_kit": [True, [], {}, 0, 51, "4", 4.5, -1, Raw("1e400")],
    "optional_place": HOSTILE_TYPES[1:5] + BAD_TEXT,
    "code_ref": HOSTILE_TYPES[:5]
    + BAD_TEXT
    + ["", "NOPE", "ÄÖÜ", "日本", "JKT 01", "A" * 33, "JKT-01\u202e"],
    "new_code": [v for v in HOSTILE_TYPES[:5] if v is not None]
    + [None]
    + BAD_TEXT
    + ["", "ÄÖÜ", "has space", "-AB", "A" * 33, "x\u200b"],
    "text": HOSTILE_TYPES[:5] + BAD_TEXT + ["", "   "],
    "optional_text": [v for v in HOSTILE_TYPES[1:5]] + [None] + BAD_TEXT,
    "quantity": [None, True, False, [], {}] + BAD_NUMBERS,
    "positive_quantity": [None, True, [], {}, 0] + BAD_NUMBERS,
    "signed_quantity": [None, True, [], {}, 0, -5.5, -5.0, "-5", -10_000_001, 10**30, -(10**30)]
    + [Raw("-1e400"), Raw("NaN"), Raw("-Infinity")],
    "id": [None, True, False, [], {}, "1", 1.0, 0, -1, 2**31, 10**30, 999_999, Raw("1e400")],
    "date": [None, "", "2020-13-45", "2020-02-30", "07/12/2020", "20201207", "2020-W01-1"]
    + [20201207, True, [], "2020-12-07T10:00:00", "0000-01-01", "9999-12-31", "2020-12-07\x00"],
    "optional_date": ["", "2020-13-45", "31-12-2030", 2030, True, {}, "0001-01-01", "9999-12-31"],
    "decimal": [None, "abc", True, [], {}, -1, 10**30, 1e7, "NaN", "Infinity", Raw("1e400")]
    + [Raw("NaN"), Raw("-Infinity")],
    "kind": [None, "", "dispatch", "receipt", "LOSS", " loss\x00", 5, True, [], {}],
    "contents": [
        None,
        [],
        {},
        "soap",
        [1],
        [None],
        [{}],
        [{"item": "Soap"}],
        [{"item": "Soap", "quantity": 0, "unit": "bar"}],
        [{"item": "Soap", "quantity": 10**30, "unit": "bar"}],
        [{"item": "Soap", "quantity": "2", "unit": "bar"}],
        [{"item": "Soap", "quantity": 2.5, "unit": "bar"}],
        [{"item": "\x00", "quantity": 1, "unit": "bar"}],
        [{"item": "Soap", "quantity": 1, "unit": "bar", "extra": 1}],
        [{"item": "Soap", "quantity": 1, "unit": "bar"}] * 101,
    ],
}

ENDPOINTS = {
    "donors": (
        "/api/v1/donors",
        {"code": "ECHO", "name": "European Civil Protection", "country": "EU"},
        {"code": "new_code", "name": "text", "country": "optional_text"},
    ),
    "kit-types": (
        "/api/v1/kit-types",
        {
            "code": "HK-IND",
            "name": "Individual kit",
            "weight_kg": 1.2,
            "volume_m3": 0.01,
            "contents": [{"item": "Soap", "quantity": 2, "unit": "bars"}],
        },
        {
            "code": "new_code",
            "name": "text",
            "weight_kg": "decimal",
            "volume_m3": "decimal",
            "contents": "contents",
        },
    ),
    "warehouses": (
        "/api/v1/warehouses",
        {"code": "MDN-01", "name": "Gudang Medan", "province": "Sumut", "regency": "Medan"},
        {
            "code": "new_code",
            "name": "text",
            "province": "text",
            "regency": "text",
            "address": "optional_text",
        },
    ),
    "batches": (
        "/api/v1/batches",
        {
            "donor": "KOICA",
            "kit_type": "HK-FAM",
            "warehouse": "JKT-01",
            "reference": "AGR-2",
            "lot": "LOT-Z",
            "expiry_date": "2030-01-31",
            "quantity_pledged": 50,
            "quantity_received": 50,
            "quantity_damaged": 1,
            "received_date": "2020-12-07",
        },
        {
            "donor": "code_ref",
            "kit_type": "code_ref",
            "warehouse": "code_ref",
            "reference": "text",
            "lot": "text",
            "expiry_date": "optional_date",
            "quantity_pledged": "quantity",
            "quantity_received": "positive_quantity",
            "quantity_damaged": "quantity",
            "received_date": "date",
        },
    ),
    "transfers": (
        "/api/v1/transfers",
        {"batch": BATCH, "from_warehouse": "JKT-01", "to_warehouse": "SBY-01", "quantity": 5},
        {
            "batch": "id",
            "from_warehouse": "code_ref",
            "to_warehouse": "code_ref",
            "quantity": "positive_quantity",
            "note": "optional_text",
        },
    ),
    "households": (
        "/api/v1/households",
        {
            "head_name": "Siti Rahayu",
            "worker_name": "Agus Santoso",
            "worker_relation": "spouse",
            "nik": "3507124506850001",
            "phone": "0812 3456 7890",
            "province": "Jawa Timur",
            "regency": "Kabupaten Malang",
            "district": "Turen",
            "village": "Sedayu",
            "members": 4,
            "vulnerabilities": ["elderly"],
            "consent": True,
            "consent_date": "2020-12-01",
        },
        {
            "head_name": "text",
            "worker_name": "text",
            "worker_relation": "relation",
            "nik": "nik",
            "phone": "phone",
            "province": "text",
            "regency": "text",
            "district": "text",
            "village": "text",
            "members": "members",
            "vulnerabilities": "vulnerabilities",
            "consent": "consent",
            "consent_date": "consent_date",
        },
    ),
    "rounds": (
        "/api/v1/rounds",
        {
            "name": "Round 1",
            "batches": [BATCH],
            "warehouse": "JKT-01",
            "entitlement": 1,
            "province": "Jawa Timur",
            "regency": "Kabupaten Malang",
        },
        {
            "name": "text",
            "batches": "id_list",
            "warehouse": "code_ref",
            "entitlement": "entitlement",
            "members_per_kit": "members_per_kit",
            "province": "province",
            "regency": "optional_place",
        },
    ),
    "manifests": (
        "/api/v1/manifests",
        {
            "warehouse": "SBY-01",
            "destination": "Desa Sedayu, Kec. Turen",
            "vehicle": "L 1234 AB",
            "driver_name": "Joko Susilo",
            "driver_phone": "0812 3456 7890",
            "planned_date": "2026-12-04",
            "parcels": [],
        },
        {
            "warehouse": "code_ref",
            "destination": "text",
            "vehicle": "text",
            "driver_name": "text",
            "note": "optional_text",
        },
    ),
    "adjustments": (
        "/api/v1/adjustments",
        {"batch": BATCH, "warehouse": "JKT-01", "quantity": -1, "kind": "loss", "reason": "Torn"},
        {
            "batch": "id",
            "warehouse": "code_ref",
            "quantity": "signed_quantity",
            "kind": "kind",
            "reason": "text",
        },
    ),
}


def _with_batch(body, batch_id: int):
    def swap(value):
        if isinstance(value, list):
            return [swap(v) for v in value]
        return batch_id if value == BATCH else value

    return {k: swap(v) for k, v in body.items()}


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 24 else f"{text[:20]}..{len(text)}"


FIELDS = [
    pytest.param(endpoint, field, id=f"{endpoint}-{field}")
    for endpoint, (_path, _valid, kinds) in ENDPOINTS.items()
    for field in kinds
]


@pytest.mark.parametrize(("case", "build"), WHOLE_BODY, ids=[c for c, _ in WHOLE_BODY])
def test_a_malformed_body_is_refused_with_a_problem_and_changes_nothing(
    client, api, world, case, build
):
    headers = api("admin").headers
    faults = {}
    for endpoint, (path, valid, _kinds) in ENDPOINTS.items():
        data, content_type = build(_with_batch(valid, world.batch_id))
        fault = refusal_fault(client, path, headers, data, content_type)
        if fault:
            faults[endpoint] = fault
    assert faults == {}


@pytest.mark.parametrize(("endpoint", "field"), FIELDS)
def test_a_malformed_or_missing_field_is_refused_with_a_problem_and_changes_nothing(
    client, api, world, endpoint, field
):
    path, valid, kinds = ENDPOINTS[endpoint]
    valid = _with_batch(valid, world.batch_id)
    headers = api("admin").headers
    mutations = MUTATIONS[kinds[field]]
    if field == "province":  # left empty, the province is the regency's: no mistake
        mutations = [
            v for v in mutations if v is not None and not (isinstance(v, str) and not v.strip())
        ]
    bodies = [(_short(value), {**valid, field: value}) for value in mutations]
    if field not in OPTIONAL:
        bodies.append(("left out", {k: v for k, v in valid.items() if k != field}))
    faults = {}
    for label, body in bodies:
        fault = refusal_fault(client, path, headers, encode(body), "application/json")
        if fault:
            faults[label] = fault
    assert faults == {}


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_the_valid_body_of_the_corpus_is_accepted(api, world, endpoint):
    """The control: each mutation above breaks a body that is otherwise accepted."""
    path, valid, _kinds = ENDPOINTS[endpoint]
    response = api("admin").post(path, json=_with_batch(valid, world.batch_id))
    assert response.status_code == 201, response.get_json()


BAD_GETS = [
    "/api/v1/batches/abc",
    "/api/v1/batches/0",
    "/api/v1/batches/-1",
    "/api/v1/batches/99999999999999999999999999",
    "/api/v1/batches/1%00",
    "/api/v1/donors/%00",
    "/api/v1/donors/" + "A" * 5000,
    "/api/v1/kit-types/%F0%9F%92%A9",
    "/api/v1/warehouses/..%2F..%2Fetc",
    "/api/v1/stock?warehouse=%00",
    "/api/v1/stock?warehouse=" + "W" * 100_000,
    "/api/v1/stock?batch=1e400",
    "/api/v1/stock?batch=" + "9" * 5000,
    "/api/v1/stock?batch=%00",
    "/api/v1/movements?kind=%00",
    "/api/v1/movements?date_from=2020-13-45",
    "/api/v1/movements?date_to=9999-12-31",
    "/api/v1/movements?date_from=0001-01-01",
    "/api/v1/movements?date_from=%00",
    "/api/v1/movements?page=-1&per_page=-1",
    "/api/v1/donors?per_page=NaN",
    "/api/v1/batches?page=" + "9" * 5000,
]


@pytest.mark.parametrize("path", BAD_GETS, ids=lambda p: _short(p))
def test_a_malformed_path_or_query_is_404_or_422_never_500(api, world, path):
    response = api("admin").get(path)
    assert response.status_code in {404, 422}, response.get_data()[:500]
    assert response.mimetype == PROBLEM_JSON


# -- manifests: add parcels, close, cancel --------------------------------------------------


@pytest.fixture
def trips(make):
    """An open manifest with a packed parcel on it, a packed parcel waiting, and a
    dispatched manifest whose parcel was never scanned (closing it needs a reason)."""
    from tests.worlds import ScanWorld

    w = ScanWorld(make)
    loaded, waiting, away, _allocated = w.parcels
    for parcel in (loaded, waiting):
        w.scan(parcel, "pack")
    w.opened = w.manifest([loaded])
    w.away = w.on_the_road([away])
    return w


def _manifest_state() -> tuple:
    from sqlalchemy import func, select

    from kitlog.extensions import db
    from kitlog.models import Manifest, ManifestParcel, Parcel, ParcelEvent, StockMovement

    db.session.expire_all()
    return (
        db.session.execute(select(Manifest.id, Manifest.status).order_by(Manifest.id)).all(),
        db.session.execute(
            select(Parcel.id, Parcel.status, Parcel.manifest_id).order_by(Parcel.id)
        ).all(),
        *(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (StockMovement, ParcelEvent, ManifestParcel)
        ),
    )


MANIFEST_BAD_PARCELS = [None, "ABC", [], [5], [None], ["\x00"], ["x" * 2001], ["ZZZ-ZZZ-ZZZ"]]
MANIFEST_PLACE = HOSTILE_TYPES[1:5] + BAD_TEXT[:-1]


def _manifest_endpoints(w) -> dict:
    """path, a valid body, and each field's malformed values."""
    return {
        "add-by-area": (
            f"/api/v1/manifests/{w.opened.id}/parcels",
            {"round": w.round.id, "district": "Turen"},
            {
                "round": MUTATIONS["id"],
                "district": MANIFEST_PLACE,
                "village": MANIFEST_PLACE,
            },
        ),
        "add-by-code": (
            f"/api/v1/manifests/{w.opened.id}/parcels",
            {"parcels": [w.parcels[1].short_code]},
            {"parcels": MANIFEST_BAD_PARCELS + [[w.parcels[3].short_code]]},
        ),
        "close": (
            f"/api/v1/manifests/{w.away.id}/close",
            {"reason": "The parcel list stayed behind"},
            {"reason": MUTATIONS["text"]},  # "" and "   ": 409, a parcel was never scanned
        ),
        "cancel": (
            f"/api/v1/manifests/{w.opened.id}/cancel",
            {"reason": "Truck broke down"},
            {"reason": MUTATIONS["text"]},
        ),
    }


@pytest.mark.parametrize("endpoint", ["add-by-area", "add-by-code", "close", "cancel"])
def test_a_malformed_manifest_request_is_refused_and_changes_nothing(client, api, trips, endpoint):
    path, valid, kinds = _manifest_endpoints(trips)[endpoint]
    headers = api("admin").headers
    before = _manifest_state()
    requests = [(case, *build(valid)) for case, build in WHOLE_BODY]
    for field, values in kinds.items():
        requests += [
            (f"{field}={_short(v)}", encode({**valid, field: v}), "application/json")
            for v in values
        ]
        if field in valid:
            left_out = {k: v for k, v in valid.items() if k != field}
            requests.append((f"{field} left out", encode(left_out), "application/json"))
    faults = {}
    for label, data, content_type in requests:
        fault = refusal_fault(client, path, headers, data, content_type)
        if fault is None and _manifest_state() != before:
            fault = "the manifest or its parcels changed"
        if fault:
            faults[label] = fault
    assert faults == {}
    # the control: the valid body is accepted
    assert api("admin").post(path, json=valid).status_code == 200
    assert _manifest_state() != before
