"""The copilot end to end in the worker: delegation (tasks start at once and become cards),
the task's outcome coming back as a notice the copilot sums up, messages queued behind an
answer or interrupting it, a chat model that fails (and Retry), and what one request may
start."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from agents import Model, ModelResponse
from agents.models.openai_responses import OpenAIResponsesModel
from asgiref.sync import sync_to_async
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from tasks.agents.providers.offline_chat.model import OfflineChatModel
from tasks.copilot.notices import get_notifier
from tasks.copilot.runner import model_input
from tasks.copilot_events import conversation_listener_add, conversation_listener_remove
from tasks.models import Conversation, ConversationMessage, ConversationTask, Task, Ticket
from tasks.presentation.copilot import conversation_view
from tasks.runtime.pacing import TurnGate
from tasks.runtime.priority import BackgroundPause
from tasks.services.conversations import message_retry
from tests.factories import make_ticket, make_user
from tests.tasks.copilot.helpers import (
    answer,
    answers,
    copilot_with,
    new_conversation,
    post,
    thread,
)
from tests.tasks.task_helpers import call, final, run_task, turn

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

Msg = ConversationMessage


def billing_ticket(**kw: Any) -> Ticket:
    defaults = {"category": "billing", "status": "open", "created_at": timezone.now()}
    return make_ticket(**{**defaults, **kw})


async def test_an_investigation_request_starts_tasks_at_once_and_shows_them_as_cards() -> None:
    # given two open billing tickets from today, one closed, and one from last month
    user = await sync_to_async(make_user)()
    first = await sync_to_async(billing_ticket)()
    second = await sync_to_async(billing_ticket)()
    await sync_to_async(billing_ticket)(status="closed")
    await sync_to_async(billing_ticket)(created_at=timezone.now() - timezone.timedelta(days=30))
    conversation = await new_conversation(user)

    # when the staff member asks, and the offline copilot answers
    await post(conversation, "investigate every open billing ticket from today")
    await answer(conversation)

    # then both of today's open tickets have a queued task, started by that person
    tasks = [t async for t in Task.objects.filter(created_by=user).select_related("ticket")]
    assert sorted(t.ticket.number for t in tasks) == sorted([first.number, second.number])
    assert all(t.status == Task.Status.QUEUED for t in tasks)
    # and the answer names them, and carries their cards
    (text,) = await answers(conversation)
    assert text.startswith("Started 2 investigations:")
    view = await sync_to_async(conversation_view)(conversation_id=conversation.pk)
    reply = next(m for m in view.messages if m["role"] == "assistant")
    assert sorted(card["task_id"] for card in reply["cards"]) == sorted(t.pk for t in tasks)
    assert {card["status"] for card in reply["cards"]} == {"queued"}


async def test_unknown_and_closed_tickets_are_named_with_the_reason() -> None:
    user = await sync_to_async(make_user)()
    open_one = await sync_to_async(billing_ticket)()
    closed = await sync_to_async(billing_ticket)(status="closed")
    conversation = await new_conversation(user)

    await post(conversation, f"investigate #{open_one.number}, #{closed.number} and #99999")
    await answer(conversation)

    (text,) = await answers(conversation)
    assert f"Started 1 investigation: #{open_one.number}" in text
    assert f"Not started: #{closed.number}: Only new, open or pending tickets" in text
    assert "Not started: #99999: No ticket with that number." in text


async def test_a_request_over_the_limit_starts_nothing_and_says_the_limit(
    settings: SettingsWrapper,
) -> None:
    settings.COPILOT_MAX_STARTS = 2
    user = await sync_to_async(make_user)()
    numbers = [(await sync_to_async(billing_ticket)()).number for _ in range(3)]
    conversation = await new_conversation(user)

    await post(conversation, "investigate " + ", ".join(f"#{n}" for n in numbers))
    await answer(conversation)

    (text,) = await answers(conversation)
    assert text.startswith("I could not do that: That would start 3 investigations;")
    assert "at most 2" in text
    assert await Task.objects.acount() == 0


async def test_a_delegated_task_that_completes_comes_back_as_a_notice_and_is_summed_up() -> None:
    # given a scripted chat model that delegates one ticket
    user = await sync_to_async(make_user)()
    ticket = await sync_to_async(billing_ticket)()
    conversation = await new_conversation(user)
    await post(conversation, f"please look at #{ticket.number}")
    await answer(
        conversation,
        [
            turn(call("start_investigations", {"ticket_numbers": [ticket.number]}, id="c1")),
            final("Started an investigation; I will report back."),
        ],
    )
    delegated = await ConversationTask.objects.select_related("task").aget(
        conversation=conversation
    )

    # when the task runs to the end in the worker
    await run_task(delegated.task, [final("Refunded the duplicate charge of $49.00.")])
    await get_notifier().drained()

    # then the conversation has a notice for it, counted on the badge
    notice = await Msg.objects.aget(conversation=conversation, role=Msg.Role.NOTICE)
    assert notice.body == f"Task {delegated.task_id} on #{ticket.number} completed."
    assert notice.status == Msg.Status.QUEUED
    assert (await Conversation.objects.aget(pk=conversation.pk)).unseen_notices == 1
    # and the copilot sums it up from the task as it reads it
    await answer(
        conversation,
        [
            turn(call("get_task", {"task_id": delegated.task_id}, id="c2")),
            final("The investigation is done: the duplicate was refunded."),
        ],
    )
    roles = [(role, status) for role, status, _ in await thread(conversation)]
    assert roles == [
        ("user", "done"),
        ("assistant", "done"),
        ("notice", "done"),
        ("assistant", "done"),
    ]
    assert (await answers(conversation))[-1] == (
        "The investigation is done: the duplicate was refunded."
    )


async def test_the_offline_copilot_sums_up_a_task_that_needs_an_approval() -> None:
    from tasks.copilot.notices import notify_delegations
    from tests.factories import make_approval

    user = await sync_to_async(make_user)()
    ticket = await sync_to_async(billing_ticket)()
    conversation = await new_conversation(user)
    await post(conversation, f"investigate #{ticket.number}")
    await answer(conversation)
    task = await Task.objects.aget(ticket=ticket)
    # the task paused for a refund approval, and the worker added the notice
    await Task.objects.filter(pk=task.pk).aupdate(status=Task.Status.AWAITING_APPROVAL)
    approval = await sync_to_async(make_approval)(task=task)
    await sync_to_async(notify_delegations)({task.pk: "needs an approval"})

    await answer(conversation)

    summary = (await answers(conversation))[-1]
    assert summary == (
        f"Task {task.pk} on #{ticket.number} needs an approval: {approval.summary}. "
        "An approver decides in the admin."
    )
    # and asked about approvals, it gives the count and the money from the database
    await post(conversation, "how many refunds wait for approval, and how much is that?")
    await answer(conversation)
    assert (await answers(conversation))[-1].startswith(
        "1 refund request waits for approval, 20.00 USD in all."
    )


async def test_a_deactivated_owners_conversation_delegates_nothing() -> None:
    user = await sync_to_async(make_user)()
    ticket = await sync_to_async(billing_ticket)()
    conversation = await new_conversation(user)
    await post(conversation, f"investigate #{ticket.number}")
    await sync_to_async(type(user).objects.filter(pk=user.pk).update)(is_active=False)

    await answer(conversation)

    assert (await answers(conversation)) == [
        "I could not do that: The staff member this conversation belongs to is no longer "
        "active staff."
    ]
    assert not await Task.objects.aexists()


async def test_tasks_of_other_conversations_add_no_notice() -> None:
    user = await sync_to_async(make_user)()
    ticket = await sync_to_async(billing_ticket)()
    conversation = await new_conversation(user)
    from tasks.services.task_start import task_start_for_ticket

    task, _ = await sync_to_async(task_start_for_ticket)(ticket=ticket, user=user)
    await run_task(task, [final("Done.")])
    await get_notifier().drained()

    assert not await Msg.objects.filter(conversation=conversation).aexists()


class HeldModel(Model):
    """Streams "Working" then waits until released; then finishes its answer."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.started = asyncio.Event()
        self.inner = OfflineChatModel()

    async def get_response(self, *args: Any, **kwargs: Any) -> ModelResponse:
        raise NotImplementedError

    async def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        self.started.set()
        await self.release.wait()
        async for event in self.inner.stream_response(*args, **kwargs):
            yield event


async def answering_held() -> tuple[Conversation, HeldModel, Any]:
    """A conversation whose first answer ("hello") has started and waits for release."""
    user = await sync_to_async(make_user)()
    conversation = await new_conversation(user)
    model = HeldModel()
    copilot = copilot_with(model)
    await post(conversation, "hello")
    copilot.wake(conversation.pk)
    await model.started.wait()
    return conversation, model, copilot


async def test_a_message_sent_during_an_answer_waits_its_turn_by_default() -> None:
    conversation, model, copilot = await answering_held()

    # when a second message comes while the first is being answered
    await post(conversation, "how many refunds wait for approval?")
    copilot.wake(conversation.pk)
    model.release.set()
    await copilot.join()

    # then both are answered, in order
    statuses = [(role, status) for role, status, _ in await thread(conversation)]
    assert statuses == [
        ("user", "done"),
        ("assistant", "done"),
        ("user", "done"),
        ("assistant", "done"),
    ]
    texts = await answers(conversation)
    assert "offline copilot" in texts[0]
    assert texts[1] == "No refunds are waiting for approval."


async def test_an_interrupting_message_stops_the_answer_and_is_answered_next() -> None:
    conversation, model, copilot = await answering_held()

    # when the next message interrupts (the worker gets the wake-up with interrupt)
    await post(conversation, "how many refunds wait for approval?", interrupt=True)
    copilot.wake(conversation.pk, interrupt=True)
    model.release.set()
    await copilot.join()

    statuses = [(role, status) for role, status, _ in await thread(conversation)]
    assert statuses == [
        ("user", "done"),
        ("assistant", "interrupted"),
        ("user", "done"),
        ("assistant", "done"),
    ]
    assert (await answers(conversation))[-1] == "No refunds are waiting for approval."


class DownModel(Model):
    async def get_response(self, *args: Any, **kwargs: Any) -> ModelResponse:
        raise ConnectionError("the chat model is down")

    async def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        raise ConnectionError("the chat model is down")
        yield  # pragma: no cover


async def test_a_chat_model_that_fails_leaves_an_error_message_and_a_retry() -> None:
    user = await sync_to_async(make_user)()
    conversation = await new_conversation(user)
    question = await post(conversation, "hello")

    await answer(conversation, DownModel())

    rows = await thread(conversation)
    assert [(role, status) for role, status, _ in rows] == [
        ("user", "failed"),
        ("assistant", "failed"),
    ]
    assert rows[1][2].startswith("The copilot could not answer:")
    assert rows[1][2].endswith("Use Retry to ask again.")
    view = await sync_to_async(conversation_view)(conversation_id=conversation.pk)
    assert [m["retry"] for m in view.messages] == [True, False]

    # when Retry is used and the model is back
    await sync_to_async(message_retry)(conversation=conversation, message_id=question.pk)
    await answer(conversation)

    assert "offline copilot" in (await answers(conversation))[-1]
    assert (await Msg.objects.aget(pk=question.pk)).status == Msg.Status.DONE


async def test_the_responses_api_continues_from_the_previous_response() -> None:
    user = await sync_to_async(make_user)()
    conversation = await new_conversation(user)
    first = await post(conversation, "hello")
    await answer(conversation)
    second = await post(conversation, "anything pending?")
    from tasks.copilot_selectors import conversation_history

    history = await sync_to_async(conversation_history)(
        conversation_id=conversation.pk, before=second
    )
    assert history[0].pk == first.pk

    responses = OpenAIResponsesModel(model="gpt-5-mini", openai_client=None)  # type: ignore[arg-type]
    items, previous = model_input(history, second, model=responses, last_response_id="resp_1")
    assert (items, previous) == ([{"role": "user", "content": "anything pending?"}], "resp_1")
    # any other model gets the stored history
    items, previous = model_input(
        history, second, model=OfflineChatModel(), last_response_id="resp_1"
    )
    assert previous is None
    assert [item["role"] for item in items] == ["user", "assistant", "user"]


async def test_counts_come_from_one_grouped_query_with_the_backlogs_filters() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tasks.copilot.tools import _counts

    for status in ("open", "open", "new", "closed"):
        await sync_to_async(billing_ticket)(status=status)
    await sync_to_async(make_ticket)(category="shipping", status="open")

    def count() -> tuple[dict[str, Any], int]:
        with CaptureQueriesContext(connection) as queries:
            result = _counts({"category": "billing", "priority": "", "created": ""}, "")
        return result, len(queries)

    result, queries = await sync_to_async(count)()

    assert queries == 1
    assert result["by_status"]["open"] == 2 and result["by_status"]["new"] == 1
    assert (result["active"], result["total"]) == (3, 4)


async def test_a_question_left_answering_by_a_dead_worker_is_answered_again() -> None:
    from datetime import timedelta

    from tasks.services.conversations import answer_claim, conversations_waiting

    user = await sync_to_async(make_user)()
    conversation = await new_conversation(user)
    await post(conversation, "how many refunds wait for approval?")
    # a worker claimed it and died: its lease runs out
    await sync_to_async(answer_claim)(conversation_id=conversation.pk, owner="dead-worker")
    await Conversation.objects.filter(pk=conversation.pk).aupdate(
        answer_lease_until=timezone.now() - timedelta(seconds=1)
    )

    # then the sweep finds the conversation, and another worker answers the question
    assert await sync_to_async(conversations_waiting)() == [conversation.pk]
    await answer(conversation)

    rows = await thread(conversation)
    assert [(role, status) for role, status, _ in rows] == [
        ("user", "done"),
        ("assistant", "interrupted"),
        ("assistant", "done"),
    ]
    assert rows[-1][2] == "No refunds are waiting for approval."
    assert await sync_to_async(conversations_waiting)() == []


async def test_a_person_sending_a_message_pauses_the_worker_until_the_first_token() -> None:
    # given a copilot next to a worker's turn gate (as in the worker), and a chat model that
    # notes whether the background work was paused when it answered
    user = await sync_to_async(make_user)()
    conversation = await new_conversation(user)
    pause = BackgroundPause()
    copilot = copilot_with()
    copilot.gate = TurnGate(2, pause=pause)
    seen: list[bool] = []

    class Noted:
        def messages_changed(self, **kw: Any) -> None:
            return None

        async def delta(self, **kw: Any) -> None:
            seen.append(pause.active)

        async def cards_added(self, **kw: Any) -> None:
            return None

        def unseen_changed(self, **kw: Any) -> None:
            return None

    # when the socket receives a message: the hold starts before the message is stored
    release = copilot.expect(conversation.pk)
    assert pause.active
    copilot.expect(conversation.pk)()  # one early hold per conversation: a second frame adds none
    assert copilot.gate.held == 1 and pause.active
    await post(conversation, "hello")
    listener = Noted()
    conversation_listener_add(listener)
    try:
        copilot.wake(conversation.pk)
        await copilot.join()
    finally:
        conversation_listener_remove(listener)

    # then it lasted until the answer's first token, and not a moment longer
    assert seen and seen[0] is False  # released as the first token is handed on
    assert not pause.active and copilot.gate.held == 0
    release()  # the socket's own release after that is harmless
    assert copilot.gate.held == 0

    # and a message refused before it was stored releases at once
    refused = copilot.expect(conversation.pk)
    refused()
    assert not pause.active and copilot.gate.held == 0
