"""Fixtures of the API tests: a client with a staff member's API token."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.factories import make_api_token


@pytest.fixture
def api(staff_user: User) -> Client:
    _, key = make_api_token(user=staff_user)
    return Client(headers={"Authorization": f"Bearer {key}"})
