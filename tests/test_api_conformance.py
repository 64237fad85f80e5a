"""schemathesis against /api/v1 on a live server: the OpenAPI document is read from the
running app over HTTP, every operation gets generated requests (valid and broken ones)
sent with a coordinator's personal token, and no answer may be a 5xx or break the schema
it is documented with. The number of examples is kept small so the run stays short."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import requests
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.serving import make_server

from dispatch.extensions import db
from dispatch.services.responders import tokens
from tests import factories

EXAMPLES = 10  # per operation and generation mode
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance,
          status_code_conformance]


@pytest.fixture
def live_api(app: Flask, world: factories.World) -> Iterator[tuple[str, str, list[int]]]:
    replied = factories.walk(factories.gen_case(world.category, world.studio), world, "reply")
    _row, token = tokens.issue(world.coordinator, "schemathesis")
    db.session.commit()
    case_ids = [world.case.id, replied.id]
    db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", token, case_ids
    server.shutdown()
    thread.join(10)


def test_the_api_keeps_to_its_openapi_document(live_api: tuple[str, str, list[int]]) -> None:
    base, token, case_ids = live_api
    document = requests.get(f"{base}/api/v1/openapi.json", timeout=10).json()
    assert document["openapi"].startswith("3.1")
    schema = schemathesis.openapi.from_dict(document)
    headers = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9
    session = requests.Session()
    for operation in operations:
        # Any case id, and the ids of real cases (one new, one replied to), so that the
        # steps and the ledger are tried on cases that exist, not only answered with 404.
        paths = [None] + ([{"case_id": i} for i in case_ids] if "{case_id}" in operation.path
                          else [])
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            for path in paths:
                _exchange(operation.as_strategy(generation_mode=mode, path_parameters=path),
                          base, session, headers)


def _exchange(strategy: object, base: str, session: requests.Session,
              headers: dict[str, str]) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def exchange(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=base, session=session, headers=headers, checks=CHECKS)

    exchange()
