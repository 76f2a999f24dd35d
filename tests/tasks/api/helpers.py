"""What the API tests share: JSON posts, and the field and message of a 400 (the client with a
staff member's API token is the ``api`` fixture, in ``conftest.py``)."""

from __future__ import annotations

from typing import Any

from django.test import Client


def post(api: Client, url: str, payload: object | None = None) -> Any:
    return api.post(url, payload or {}, content_type="application/json")


def error(response: Any, status: int = 400) -> tuple[str | None, str]:
    assert response.status_code == status, response.content
    detail = response.json()["detail"][0]
    return detail["field"], detail["message"]
