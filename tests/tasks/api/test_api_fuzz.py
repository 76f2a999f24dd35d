"""Fuzzes every API operation from its OpenAPI schema (schemathesis over Django's WSGI app):
whatever the input, the answer is never a 500 and matches the documented responses."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import make_api_token, make_customer, make_order, make_ticket

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def token_header(db) -> dict[str, str]:
    # Real rows so the fuzzer's ids sometimes hit (customer 1, ticket numbers from 1001).
    customer = make_customer()
    make_order(customer=customer)
    make_ticket(customer=customer, number=1001)
    _, key = make_api_token()
    return {"Authorization": f"Bearer {key}"}


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_api_never_answers_500(case, token_header):
    case.call_and_validate(headers=token_header, checks=CHECKS)
