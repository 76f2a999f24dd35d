"""The copilot on the OpenAI path, through the real ``openai`` client against the local HTTP
stub of the API (tests/openai_stub.py): the chat model from settings, a tool call answered
from the data, the reply streamed and stored, the next message continuing from the previous
response id, and the model down (an error message and a Retry)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from agents.models.openai_responses import OpenAIResponsesModel
from asgiref.sync import sync_to_async
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from tasks.agents.providers import provider
from tasks.copilot.runner import Copilot
from tasks.models import ConversationMessage
from tests.factories import make_ticket, make_user
from tests.openai_stub import (
    RESPONSES,
    OpenAIStub,
    error_reply,
    function_call_reply,
    message_reply,
    serve_stub,
)
from tests.tasks.copilot.helpers import answers, new_conversation, post, thread

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

Msg = ConversationMessage


@pytest.fixture
def stub(settings: SettingsWrapper) -> Iterator[OpenAIStub]:
    yield from serve_stub(settings, CHAT_MODEL="gpt-5-mini", MODEL_MAX_RETRIES=1)


async def answer_with_provider(conversation) -> None:  # type: ignore[no-untyped-def]
    copilot = Copilot()  # the chat model from settings, as in the worker
    copilot.wake(conversation.pk)
    await copilot.join()


async def test_the_chat_model_answers_from_a_tool_and_the_next_message_continues(
    stub: OpenAIStub,
) -> None:
    model, name = provider.get_chat_model()
    assert isinstance(model, OpenAIResponsesModel) and name == "gpt-5-mini"
    user = await sync_to_async(make_user)()
    await sync_to_async(make_ticket)(category="billing", status="open", created_at=timezone.now())
    conversation = await new_conversation(user)
    stub.script(
        RESPONSES,
        function_call_reply("count_tickets", {"category": "billing"}, call_id="call_count"),
        message_reply("There is 1 billing ticket, and it is open."),
        message_reply("You're welcome."),
    )

    await post(conversation, "how many billing tickets are there?")
    await answer_with_provider(conversation)

    assert await answers(conversation) == ["There is 1 billing ticket, and it is open."]
    # the answer's usage over both model calls, priced as the chat model
    answer = await Msg.objects.aget(conversation=conversation, role=Msg.Role.ASSISTANT)
    assert (answer.model, answer.input_tokens, answer.output_tokens) == ("gpt-5-mini", 24, 14)
    assert answer.cost == Decimal("0.000034")
    first, second = stub.requests[0].body, stub.requests[1].body
    assert first["model"] == "gpt-5-mini" and first["stream"] is True
    assert {tool["name"] for tool in first["tools"]} >= {"count_tickets", "start_investigations"}
    tool_output = next(i for i in second["input"] if i.get("type") == "function_call_output")
    assert '"open": 1' in tool_output["output"] or '"active": 1' in tool_output["output"]

    # when the next message comes, only it is sent, continuing from the last response
    await post(conversation, "thanks")
    await answer_with_provider(conversation)

    third = stub.requests[2].body
    assert third["previous_response_id"] == "resp_stub_2"
    assert third["input"] == [{"role": "user", "content": "thanks"}]
    assert (await answers(conversation))[-1] == "You're welcome."


async def test_the_chat_model_down_leaves_an_error_and_a_retry(stub: OpenAIStub) -> None:
    user = await sync_to_async(make_user)()
    conversation = await new_conversation(user)
    stub.always(RESPONSES, error_reply(503, "overloaded"))

    await post(conversation, "how many billing tickets are there?")
    await answer_with_provider(conversation)

    rows = await thread(conversation)
    assert [(role, status) for role, status, _ in rows] == [
        ("user", "failed"),
        ("assistant", "failed"),
    ]
    assert rows[1][2].startswith("The copilot could not answer:")
    assert "503" in rows[1][2]
