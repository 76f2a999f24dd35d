from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.factories import make_approver, make_user


@pytest.fixture
def staff_user(db) -> User:
    return make_user(username="staffer")


@pytest.fixture
def approver(db) -> User:
    return make_approver(username="approver1")


@pytest.fixture
def staff_client(staff_user: User) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client
