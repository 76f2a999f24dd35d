"""The copilot in the scaled-out layout: a message posted through one web process's API is
answered by a ``runworker`` process (woken over Redis), which delegates an investigation; the
delegated task runs on a worker and its outcome comes back into the conversation as a notice
the copilot sums up."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tasks.demo.data import SCENARIO_TICKETS
from tasks.models import ConversationMessage
from tests.integration.clients import ApiClient

pytestmark = [pytest.mark.services, pytest.mark.timeout(180)]

Msg = ConversationMessage
HOWTO = SCENARIO_TICKETS["how_to"]


def wait_messages(api: ApiClient, conversation_id: int, done: Any, timeout: float = 60) -> list:
    deadline = time.monotonic() + timeout
    while True:
        messages = api.request("GET", f"/conversations/{conversation_id}")["messages"]
        if done(messages):
            return messages
        if time.monotonic() > deadline:
            raise AssertionError(f"conversation not there yet: {messages}")
        time.sleep(0.2)


def test_a_worker_answers_delegates_and_reports_back(stack, demo):
    (web,) = stack.webs(1)
    stack.workers(1)
    api = ApiClient(web.base_url, demo.support)
    conversation = api.request("POST", "/conversations", {"title": "Scale"})

    posted = api.request(
        "POST",
        f"/conversations/{conversation['id']}/messages",
        {"text": f"investigate #{HOWTO}"},
    )
    assert posted["message_id"]

    def summed_up(messages: list) -> bool:
        notices = [m for m in messages if m["role"] == "notice"]
        answered = [m for m in messages if m["role"] == "assistant" and m["status"] == "done"]
        return bool(notices) and len(answered) >= 2

    messages = wait_messages(api, conversation["id"], summed_up, timeout=120)
    first_answer = next(m for m in messages if m["role"] == "assistant")
    assert first_answer["body"].startswith("Started 1 investigation")
    assert [card["status"] for card in first_answer["cards"]] != []
    notice = next(m for m in messages if m["role"] == "notice")
    assert f"#{HOWTO}" in notice["body"]
