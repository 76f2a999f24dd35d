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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API keeps an event loop running in the main
    thread for the session-scoped browser, which would break the asyncio tests after it."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
