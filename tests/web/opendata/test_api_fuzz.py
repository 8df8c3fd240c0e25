"""Schemathesis runs every API operation against the application (issue #15): requests generated
from the OpenAPI document, no server error, and every answer matching its schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from participa.opendata import api
from tests.conftest import LEG
from tests.fixtures.certification import closed_consultation
from tests.fixtures.proposals import proposal


def test_every_operation_answers_without_a_server_error_and_as_documented(app, session) -> None:
    if LEG != "postgres":
        pytest.skip("runs on the PostgreSQL + Redis leg, as the issue asks (the other API checks run on both)")
    counted = closed_consultation(session, choices=("approve", "reject"))  # items to match, not only errors
    proposal(session, counted, counted.people[0][0], hidden=True, hidden_reason="Moderada")
    session.commit()
    with app.app_context():
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case) -> None:
            response = case.call()
            assert response.status_code < 500, (case.path, case.query, response.status_code)
            case.validate_response(response)

        run()
        checked.append(operation.path)
    assert len(checked) == len(api.OPERATIONS)
