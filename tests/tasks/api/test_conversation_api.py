"""The copilot API: conversations per user (create, list, read with messages, rename, delete),
a message posted returns at once (the answer comes from the worker), its errors, and nobody
else's conversation."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.test import Client

from tasks.models import Conversation, ConversationMessage
from tests.factories import make_api_token, make_user
from tests.tasks.api.helpers import error, post
from tests.tasks.copilot.helpers import answer

pytestmark = pytest.mark.django_db

Msg = ConversationMessage


def test_create_list_rename_and_delete(api, staff_user):
    created = post(api, "/api/conversations", {"title": "Billing sweep"})
    assert created.status_code == 201
    conversation_id = created.json()["id"]

    listed = api.get("/api/conversations").json()
    assert [c["title"] for c in listed] == ["Billing sweep"]

    renamed = api.patch(
        f"/api/conversations/{conversation_id}",
        {"title": "Monday billing"},
        content_type="application/json",
    )
    assert renamed.status_code == 200 and renamed.json()["title"] == "Monday billing"

    assert api.delete(f"/api/conversations/{conversation_id}").status_code == 204
    assert not Conversation.objects.exists()


def test_a_message_returns_at_once_and_the_answer_can_then_be_read(api):
    conversation_id = post(api, "/api/conversations").json()["id"]

    posted = post(
        api,
        f"/api/conversations/{conversation_id}/messages",
        {"text": "how many refunds wait for approval?", "context": {"ticket_number": 1004}},
    )

    assert posted.status_code == 202
    message = Msg.objects.get(pk=posted.json()["message_id"])
    assert (message.status, message.context) == ("queued", {"ticket_number": 1004})
    # the first message names the conversation
    detail = api.get(f"/api/conversations/{conversation_id}").json()
    assert detail["title"] == "how many refunds wait for approval?"
    assert [(m["role"], m["status"]) for m in detail["messages"]] == [("user", "queued")]

    # when the worker answers
    async_to_sync(answer)(Conversation.objects.get(pk=conversation_id))

    detail = api.get(f"/api/conversations/{conversation_id}").json()
    assert [(m["role"], m["status"]) for m in detail["messages"]] == [
        ("user", "done"),
        ("assistant", "done"),
    ]
    assert detail["messages"][1]["body"] == "No refunds are waiting for approval."


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "x" * 4001}, "text"),
        ({}, "text"),
        ({"text": "hi", "interrupt": "maybe"}, "interrupt"),
        ({"text": "hi", "context": {"ticket_number": 0}}, "context.ticket_number"),
    ],
)
def test_bad_messages_are_refused_with_the_field(api, payload, field):
    conversation_id = post(api, "/api/conversations").json()["id"]

    response = post(api, f"/api/conversations/{conversation_id}/messages", payload)

    assert error(response)[0] == field
    assert not Msg.objects.exists()


def test_someone_elses_conversation_is_not_found(api):
    other = make_user()
    _, key = make_api_token(user=other)
    theirs = Client(headers={"Authorization": f"Bearer {key}"})
    conversation_id = post(theirs, "/api/conversations", {"title": "Mine"}).json()["id"]

    assert api.get(f"/api/conversations/{conversation_id}").status_code == 404
    assert (
        post(api, f"/api/conversations/{conversation_id}/messages", {"text": "hi"}).status_code
        == 404
    )
    assert api.delete(f"/api/conversations/{conversation_id}").status_code == 404
    assert api.get("/api/conversations").json() == []


def test_a_message_whose_answer_did_not_fail_cannot_be_retried(api):
    conversation_id = post(api, "/api/conversations").json()["id"]
    message_id = post(api, f"/api/conversations/{conversation_id}/messages", {"text": "hi"}).json()[
        "message_id"
    ]

    response = post(api, f"/api/conversations/{conversation_id}/retry", {"message_id": message_id})

    assert error(response) == (
        "message_id",
        "Only a message whose answer failed can be asked again.",
    )


def test_the_endpoints_are_in_the_openapi_schema():
    paths = Client().get("/api/openapi.json").json()["paths"]

    assert {"post", "get"} <= set(paths["/api/conversations"])
    assert {"get", "patch", "delete"} <= set(paths["/api/conversations/{conversation_id}"])
    assert "post" in paths["/api/conversations/{conversation_id}/messages"]
