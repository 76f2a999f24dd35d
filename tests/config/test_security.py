"""Login throttling (django-axes on the portal and admin logins), the Content-Security-Policy,
the per-user limit on task starts, and the JSON error shape for oversized API bodies."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from tasks.models import Task
from tasks.services.task_start import TASK_STARTS_LIMITED
from tests.factories import make_api_token, make_customer, make_ticket, make_user

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def staff():
    user = make_user(username="sam")
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.mark.parametrize("url", ["/login/", "/admin/login/"])
def test_thirty_wrong_passwords_lock_the_login_even_for_the_right_one(staff, settings, url):
    client = Client()
    for _ in range(30):
        client.post(url, {"username": "sam", "password": "wrong"})

    response = client.post(url, {"username": "sam", "password": PASSWORD})

    assert response.status_code == 429
    assert b"Too many sign-in attempts" in response.content
    assert "_auth_user_id" not in client.session


def test_a_few_wrong_passwords_then_the_right_one_signs_in(staff):
    client = Client()
    for _ in range(3):
        assert client.post("/login/", {"username": "sam", "password": "x"}).status_code == 200

    response = client.post("/login/", {"username": "sam", "password": PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)


def test_the_lockout_is_per_username_and_address(staff):
    other = make_user(username="ana")
    other.set_password(PASSWORD)
    other.save()
    client = Client()
    for _ in range(10):
        client.post("/login/", {"username": "sam", "password": "wrong"})

    assert client.post("/login/", {"username": "ana", "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("url", ["/login/", "/", "/admin/login/", "/api/docs"])
def test_every_page_has_a_strict_content_security_policy(client, staff, url):
    client.force_login(staff)
    response = client.get(url, follow=True)

    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_pages_hold_no_inline_script(client, staff):
    client.force_login(staff)
    ticket = make_ticket(customer=make_customer())
    for url in ("/", f"/tickets/{ticket.number}/", "/dashboard/"):
        html = client.get(url).content.decode()
        for chunk in html.split("<script")[1:]:
            tag = chunk.split(">", 1)[0]
            assert "src=" in tag or 'type="application/json"' in tag, (url, tag)


def test_task_starts_over_the_per_minute_limit_get_a_429(client, staff, settings):
    settings.TASK_STARTS_PER_MINUTE = 2
    client.force_login(staff)
    tickets = [make_ticket(customer=make_customer()) for _ in range(3)]

    codes = [
        client.post(
            reverse("tasks:task_start", args=[t.number]), headers={"HX-Request": "true"}
        ).status_code
        for t in tickets
    ]

    assert codes == [200, 200, 429]
    assert Task.objects.filter(created_by=staff).count() == 2


def test_the_api_answers_a_429_with_retry_after_over_the_start_limit(staff, settings):
    settings.TASK_STARTS_PER_MINUTE = 1
    _, key = make_api_token(user=staff)
    client = Client(headers={"Authorization": f"Bearer {key}"})
    body = json.dumps({"input": "Draft a runbook for duplicate charges"})

    first = client.post("/api/tasks", body, content_type="application/json")
    second = client.post("/api/tasks", body, content_type="application/json")

    assert first.status_code in (200, 201)
    assert second.status_code == 429
    assert int(second.headers["Retry-After"]) >= 1
    assert second.json() == {
        "detail": [{"field": None, "message": TASK_STARTS_LIMITED.format(limit=1)}]
    }


def test_an_api_body_over_the_upload_limit_gets_the_json_error_shape(staff, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    _, key = make_api_token(user=staff)
    client = Client(headers={"Authorization": f"Bearer {key}"})
    body = json.dumps({"input": "x" * 5_000})

    response = client.post("/api/tasks", body, content_type="application/json")

    assert response.status_code == 413
    assert response.headers["Content-Type"].startswith("application/json")
    [error] = response.json()["detail"]
    assert error["field"] == "body"
    assert "too large" in error["message"]
