"""Schemathesis fuzzes every /api/v1 operation from the app's own OpenAPI description.

Each operation gets its described examples, the coverage phase's boundary and negative values,
and a bounded number of generated requests (CASEBRIDGE_FUZZ_EXAMPLES, default below; the
generation is derandomized so CI is repeatable; raise the number and set
CASEBRIDGE_FUZZ_RANDOM=1 to explore further by hand). Staff operations are called with a
supervisor's bearer token, public ones without. Whatever is sent: never a 5xx, a status the
description lists for that operation, a body matching the schema of that status, and the
described content type and headers.
"""
from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from caseapp.views.openapi import api_description

EXAMPLES = int(os.environ.get("CASEBRIDGE_FUZZ_EXAMPLES", "6"))
RANDOM = os.environ.get("CASEBRIDGE_FUZZ_RANDOM") == "1"
CHECKS = [checks.not_a_server_error, checks.status_code_conformance,
          checks.response_schema_conformance, checks.content_type_conformance,
          checks.response_headers_conformance]
STAFF_USER = "supervisor"  # a portal role with a work queue that may read every case

DESCRIPTION = api_description()
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
STAFF_OPERATIONS = {(path, method.upper()) for path, item in DESCRIPTION["paths"].items()
                    for method, operation in item.items() if method in HTTP_METHODS
                    and operation.get("security", DESCRIPTION["security"])}

# The document the app serves at /api/v1/openapi.json (test_openapi checks they are the same);
# every request goes to the test's own WSGI app (`app=` below), on a database of each backend.
schema = schemathesis.openapi.from_dict(DESCRIPTION, config=schemathesis.Config.from_dict({
    "generation": {"max-examples": EXAMPLES, "deterministic": not RANDOM,
                   "with-security-parameters": False}}))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzzed_app(request, sqlite_url):
    """One seeded app per backend for every operation (fuzzing needs no clean slate per test,
    and seeding once keeps the run short), with one case so look-ups are not all empty."""
    from flask import request_started

    from caseapp.services.administration.seed import seed_demo
    from tests.conftest import (_clean, _forget_login_between_requests, _make_app,
                                _prepare_schema, postgres_url)
    application = _make_app(sqlite_url if request.param == "sqlite" else postgres_url())
    assert application.config["RATELIMIT_ENABLED"] is False  # fuzzing is not throttled
    _prepare_schema(application, request.param)
    _clean(application, request.param)
    request_started.connect(_forget_login_between_requests, application)
    with application.app_context():
        seed_demo("pw")
        client = application.test_client()
        submitted = client.post("/api/v1/reports", json={
            "full_name": "Nguyễn Văn An", "phone": "0912345678", "category": "disaster",
            "description": "Sạt lở bờ kè đường Nguyễn Tất Thành, nguy hiểm"})
        assert submitted.status_code == 201, submitted.get_json()
        yield application
        from caseapp.extensions import db
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def staff_token(fuzzed_app) -> str:
    """A staff bearer token, asked for before the fuzzing of /tokens can lock this address."""
    response = fuzzed_app.test_client().post("/api/v1/tokens",
                                             json={"username": STAFF_USER, "password": "pw"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=not RANDOM, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_conforms(case, fuzzed_app, staff_token):
    staff = (case.operation.path, case.operation.method.upper()) in STAFF_OPERATIONS
    headers = {"Authorization": f"Bearer {staff_token}"} if staff else None
    response = case.call_and_validate(app=fuzzed_app, headers=headers, checks=CHECKS)
    if staff:  # the token is good: the fuzzing reaches the views, not only the 401 at the door
        assert response.status_code != 401, response.text


def test_linked_calls_conform(fuzzed_app, staff_token):
    """Schemathesis follows the description's links (submit → status and case; queue → item →
    claim → complete or unclaim), so the fuzzing also reaches real cases and work items."""
    headers = {"Authorization": f"Bearer {staff_token}"}

    class LinkedCalls(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            staff = (case.operation.path, case.operation.method.upper()) in STAFF_OPERATIONS
            return {"app": fuzzed_app, "headers": headers if staff else None}

        def validate_response(self, response, case, additional_checks=(), **kwargs):
            case.validate_response(response, checks=CHECKS)

    LinkedCalls.run(settings=settings(max_examples=EXAMPLES, stateful_step_count=6,
                                      deadline=None, derandomize=not RANDOM, database=None,
                                      suppress_health_check=list(HealthCheck)))
