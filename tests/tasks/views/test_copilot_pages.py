"""The copilot's pages: the conversation list and one conversation (yours only), the panel
that other pages frame (with their context), the badge counting unseen task updates, and the
forms that create, rename and delete conversations."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tasks.models import Conversation
from tasks.services.conversations import conversation_create, notice_add
from tests.factories import make_task, make_ticket, make_user

pytestmark = pytest.mark.django_db


def test_the_page_names_the_offline_copilot_and_renders_the_messages_as_json(
    staff_client, staff_user
):
    conversation = conversation_create(user=staff_user, title="Billing")

    page = staff_client.get(f"/copilot/{conversation.pk}/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Offline copilot (rule-based)" in html
    assert f'data-ws="/ws/copilot/{conversation.pk}/"' in html
    assert 'id="copilot-initial"' in html


def test_someone_elses_conversation_is_not_found(staff_client):
    theirs = conversation_create(user=make_user(), title="Theirs")

    assert staff_client.get(f"/copilot/{theirs.pk}/").status_code == 404
    assert staff_client.post(f"/copilot/{theirs.pk}/delete/").status_code == 404
    assert Conversation.objects.filter(pk=theirs.pk).exists()


def test_the_panel_may_be_framed_by_the_portal_and_carries_the_page_context(staff_client):
    ticket = make_ticket()

    panel = staff_client.get(f"/copilot/panel/?ticket={ticket.number}")

    assert panel.status_code == 200
    assert "frame-ancestors 'self'" in panel["Content-Security-Policy"]
    assert panel["X-Frame-Options"] == "SAMEORIGIN"
    context = panel.content.decode().split("data-copilot-context='")[1].split("'")[0]
    assert json.loads(context.replace("&quot;", '"')) == {"ticket_number": ticket.number}
    # other pages stay unframeable
    assert "frame-ancestors 'none'" in staff_client.get("/copilot/")["Content-Security-Policy"]


def test_the_copilot_link_counts_task_updates_until_the_conversation_is_seen(
    staff_client, staff_user
):
    conversation = conversation_create(user=staff_user)
    task = make_task(ticket=make_ticket())
    from tasks.services.conversations import delegation_add

    delegation_add(conversation_id=conversation.pk, task=task, message_id=None)
    notice_add(task_id=task.pk, body=f"Task {task.pk} completed.")

    backlog = staff_client.get("/").content.decode()
    assert 'title="task updates not seen yet">1</span>' in backlog

    staff_client.get(f"/copilot/{conversation.pk}/")
    assert (
        'title="task updates not seen yet" hidden>0</span>'
        in staff_client.get("/").content.decode()
    )


def test_conversations_are_created_renamed_and_deleted_with_forms(staff_client, staff_user):
    created = staff_client.post("/copilot/new/")
    conversation = Conversation.objects.get(user=staff_user)
    assert created["Location"] == f"/copilot/{conversation.pk}/"

    staff_client.post(f"/copilot/{conversation.pk}/rename/", {"title": "  Refund sweep "})
    conversation.refresh_from_db()
    assert conversation.title == "Refund sweep"
    staff_client.post(f"/copilot/{conversation.pk}/rename/", {"title": ""})
    conversation.refresh_from_db()
    assert conversation.title == "Refund sweep"  # an empty title is refused with a message

    staff_client.post(f"/copilot/{conversation.pk}/delete/")
    assert not Conversation.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in():
    response = Client().get("/copilot/")

    assert response.status_code == 302 and "/login/" in response["Location"]
