from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from tasks.api.auth import STAFF_ONLY
from tasks.management.commands.create_api_token import NOT_STAFF_WARNING, USER_NOT_FOUND
from tasks.models import ApiToken
from tasks.services.api_tokens import (
    KEY_PREFIX,
    TOKEN_NAME_REQUIRED,
    TOKEN_USER_INACTIVE,
    api_token_authenticate,
    api_token_create,
)
from tests.factories import make_api_token, make_customer, make_ticket, make_user
from tools_app.errors import ApplicationError

pytestmark = pytest.mark.django_db

# A well-formed CSRF secret: Django accepts the same 32-character value as cookie and header.
CSRF_SECRET = "abcdefghijklmnopqrstuvwxyzABCDEF"
NEW_TICKET = {"subject": "Where is my parcel?", "body": "It is late.", "requester_email": "a@b.co"}


def bearer(key: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {key}"})


# --- the token service -------------------------------------------------------------------


def test_api_token_create_returns_the_key_once_and_stores_only_its_hash():
    user = make_user()

    token, key = api_token_create(user=user, name="ci")

    assert key.startswith(KEY_PREFIX)
    assert len(key) > 40
    stored = ApiToken.objects.get(pk=token.pk)
    assert key not in {stored.key_hash, stored.prefix, stored.name}
    assert key.startswith(stored.prefix)
    assert len(stored.key_hash) == 64


def test_api_token_authenticate_knows_the_key_and_nothing_else():
    token, key = make_api_token()

    assert api_token_authenticate(key) == token.user
    assert api_token_authenticate(key + "x") is None
    assert api_token_authenticate("adk_" + "A" * 43) is None
    assert api_token_authenticate("") is None
    assert api_token_authenticate("adk_" + "x" * 500) is None
    assert api_token_authenticate("adk_\x00\ud800") is None


def test_api_token_create_rejects_a_blank_name_and_inactive_users():
    with pytest.raises(ApplicationError, match=TOKEN_NAME_REQUIRED):
        api_token_create(user=make_user(), name="  ")
    with pytest.raises(ApplicationError, match=TOKEN_USER_INACTIVE):
        api_token_create(user=make_user(is_active=False), name="x")


def test_api_token_authenticate_records_use_at_most_once_a_minute():
    token, key = make_api_token()

    api_token_authenticate(key)
    token.refresh_from_db()
    first = token.last_used_at
    api_token_authenticate(key)
    token.refresh_from_db()

    assert first is not None
    assert token.last_used_at == first

    an_hour_ago = timezone.now() - timedelta(hours=1)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=an_hour_ago)
    api_token_authenticate(key)
    token.refresh_from_db()
    assert token.last_used_at > an_hour_ago


def test_api_token_of_an_inactive_user_does_not_authenticate():
    token, key = make_api_token()
    token.user.is_active = False
    token.user.save()

    assert api_token_authenticate(key) is None


# --- the management command --------------------------------------------------------------


def test_create_api_token_command_prints_a_key_that_works():
    make_user(username="alice")
    make_ticket()
    out, err = StringIO(), StringIO()

    call_command("create_api_token", "alice", "--name", "ci", stdout=out, stderr=err)

    key = out.getvalue().strip()
    assert key.startswith(KEY_PREFIX)
    assert ApiToken.objects.get(user__username="alice").name == "ci"
    assert "cannot be shown again" in err.getvalue()
    assert bearer(key).get("/api/tickets").status_code == 200


def test_create_api_token_command_refuses_an_unknown_user():
    with pytest.raises(CommandError, match=USER_NOT_FOUND.format(username="ghost")):
        call_command("create_api_token", "ghost", stdout=StringIO(), stderr=StringIO())

    assert ApiToken.objects.count() == 0


def test_create_api_token_command_warns_about_a_non_staff_user():
    make_user(username="bob", staff=False)
    err = StringIO()

    call_command("create_api_token", "bob", stdout=StringIO(), stderr=err)

    assert NOT_STAFF_WARNING.format(username="bob") in err.getvalue()


# --- who may call the API ----------------------------------------------------------------


def test_api_without_credentials_is_401():
    response = Client().get("/api/tickets")

    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header",
    ["Bearer adk_not-a-real-key", "Bearer ", "Token abc", "Basic dXNlcjpwdw==", "Bearer \x7f"],
)
def test_api_with_a_bad_token_is_401(header):
    make_api_token()

    response = Client(headers={"Authorization": header}).get("/api/tickets")

    assert response.status_code == 401


def test_api_token_of_a_non_staff_user_is_403():
    _, key = make_api_token(user=make_user(staff=False))

    response = bearer(key).get("/api/customers")

    assert response.status_code == 403
    assert response.json() == {"detail": STAFF_ONLY}


def test_api_token_of_a_staff_user_reads_and_is_marked_used():
    token, key = make_api_token()
    make_customer()

    response = bearer(key).get("/api/customers")

    assert response.status_code == 200
    assert response.json()["count"] == 1
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_api_token_creates_tickets_without_csrf():
    _, key = make_api_token()
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {key}"})

    response = client.post("/api/tickets", NEW_TICKET, content_type="application/json")

    assert response.status_code == 201


def test_staff_session_reads_the_api(staff_client):
    make_ticket()

    response = staff_client.get("/api/tickets")

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_non_staff_session_is_403():
    client = Client()
    client.force_login(make_user(staff=False))

    response = client.get("/api/tickets")

    assert response.status_code == 403
    assert response.json() == {"detail": STAFF_ONLY}


def test_session_post_needs_the_csrf_token(staff_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)

    without = client.post("/api/tickets", NEW_TICKET, content_type="application/json")
    client.cookies["csrftoken"] = CSRF_SECRET
    with_token = client.post(
        "/api/tickets",
        NEW_TICKET,
        content_type="application/json",
        headers={"X-CSRFToken": CSRF_SECRET},
    )

    assert without.status_code == 403
    assert "CSRF" in without.json()["detail"]
    assert with_token.status_code == 201


def test_post_without_any_credentials_is_401_not_a_csrf_error():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/api/tickets", NEW_TICKET, content_type="application/json")

    assert response.status_code == 401


def test_openapi_schema_is_public_and_documents_both_ways_to_authenticate():
    schema = Client().get("/api/openapi.json").json()

    schemes = schema["components"]["securitySchemes"]
    assert schemes["ApiTokenAuth"] == {"type": "http", "scheme": "bearer"}
    assert schemes["StaffSessionAuth"]["in"] == "cookie"
    assert {"ApiTokenAuth": []} in schema["paths"]["/api/tickets"]["get"]["security"]


def test_api_docs_render_without_a_cdn():
    response = Client().get("/api/docs")

    assert response.status_code == 200
    assert b"/static/ninja/swagger-ui-bundle.js" in response.content
    assert b"cdn.jsdelivr" not in response.content


def test_tickets_filtered_by_me_follow_the_token_owner():
    token, key = make_api_token()
    mine = make_ticket(assignee=token.user)
    make_ticket(assignee=make_user())

    results = bearer(key).get("/api/tickets?assignee=me").json()["results"]

    assert [t["number"] for t in results] == [mine.number]
