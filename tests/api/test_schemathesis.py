"""Every operation of /api/v1/openapi.json, fuzzed by schemathesis in-process (WSGI).

As an admin with a bearer token, over a small world (stock, households, an open round with
parcels, an open manifest), each operation gets requests that follow the schema and
requests that break it; half of them name objects that exist instead of random ids. No
answer may be a 5xx, and every answer must be documented: its status code, its content
type, its headers and its body's schema. Failures are collected over all operations and
reported together, one line each.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import config as kitlog_config
from kitlog.extensions import db
from kitlog.services import manifests
from tests.api.helpers import World

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = {GenerationMode.POSITIVE: 6, GenerationMode.NEGATIVE: 4}


def _known_values(make) -> dict[str, dict[str, object]]:
    """Path parameters naming objects that exist, by the path's first segment."""
    world = World(make)
    parcels = make.allocated_parcels(3)
    trip = manifests.create_manifest(
        db.session,
        warehouse=parcels[0].round.warehouse,
        destination="Desa Sedayu",
        vehicle="L 1234 AB",
        driver_name="Joko Susilo",
        user=None,
    )
    db.session.commit()
    parcel = parcels[0]
    common = {
        "batch_id": world.batch_id,
        "round_id": parcel.round_id,
        "manifest_id": trip.id,
    }
    return {
        "donors": {**common, "code": "KOICA"},
        "kit-types": {**common, "code": "HK-FAM"},
        "warehouses": {**common, "code": "JKT-01"},
        "households": {**common, "code": parcel.household.code},
        "parcels": {**common, "code": parcel.short_code},
        "manifests": {**common, "code": parcels[1].short_code},
        "reports": {**common, "code": "KOICA"},
        "*": common,
    }


def test_every_operation_answers_as_documented_and_never_5xx(app, make):
    known = _known_values(make)
    headers = {"Authorization": f"Bearer {make.token(make.user('admin'))}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: dict[str, str] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        segment = operation.path.removeprefix("/api/v1/").split("/")[0].split(".")[0]
        for mode, examples in EXAMPLES.items():
            try:
                _fuzz(operation, mode, examples, known.get(segment, known["*"]), headers)
            except (Exception, BaseExceptionGroup) as error:  # every failure is reported below
                failures[f"{operation.label} ({mode.value})"] = _summary(error)
    assert operations >= 40  # the whole API, not an empty document
    assert not failures, "\n".join(f"{label}: {text}" for label, text in failures.items())


def _fuzz(operation, mode: GenerationMode, examples: int, values: dict, headers: dict) -> None:
    """Send `examples` requests of this mode; raise on the first failed check."""

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=kitlog_config.TestConfig.CI,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), real=st.booleans())
    def call(case, real):
        if real and case.path_parameters:
            case.path_parameters = {
                name: values.get(name, value) for name, value in case.path_parameters.items()
            }
        case.call_and_validate(headers=headers, checks=CHECKS)

    call()


def _summary(error: BaseException) -> str:
    """One line per distinct failure (schemathesis groups them)."""
    parts = error.exceptions if isinstance(error, BaseExceptionGroup) else [error]
    return " | ".join(" ".join(str(part).split())[:400] for part in parts)
