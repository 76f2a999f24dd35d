"""What a run starts from: the task input, the stored history, or on the Responses API only
the new message with the previous response id."""

from __future__ import annotations

from agents import OpenAIResponsesModel
from agents.testing import ScriptedModel
from openai import AsyncOpenAI

from tasks.models import Task
from tasks.runtime.runner import run_input

HISTORY = [
    {"role": "user", "content": "Ticket #1"},
    {"role": "assistant", "content": "Done."},
    {"role": "user", "content": "And the other order?"},
]


def test_a_first_run_starts_from_the_task_input():
    task = Task(input="Ticket #1", history=[])

    assert run_input(task, ScriptedModel([])) == ("Ticket #1", None)


def test_a_follow_up_replays_the_history_on_other_models():
    task = Task(input="Ticket #1", history=HISTORY, previous_response_id="resp_1")

    assert run_input(task, ScriptedModel([])) == (HISTORY, None)


def test_a_follow_up_on_the_responses_api_sends_only_the_new_message():
    model = OpenAIResponsesModel(model="gpt-5-mini", openai_client=AsyncOpenAI(api_key="x"))
    task = Task(input="Ticket #1", history=HISTORY, previous_response_id="resp_1")

    assert run_input(task, model) == ([HISTORY[-1]], "resp_1")
