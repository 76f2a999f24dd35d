"""A run's conversation is saved at every turn boundary, so a worker that dies mid-run loses
only the turn in progress: the next worker resumes from the saved history and does not make
the saved tool calls again."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest
from agents.stream_events import RunItemStreamEvent
from asgiref.sync import sync_to_async
from django.utils import timezone

from tasks.models import Task, Todo
from tasks.runtime.progress import RunProgress
from tasks.runtime.recorder import EventRecorder
from tasks.runtime.worker import TaskWorker
from tasks.runtime.writer import get_writer
from tasks.services.task_finish import run_guard
from tasks.services.task_lifecycle import task_recover_stale
from tasks.services.task_start import task_start_free_text
from tests.tasks.task_helpers import ModelStep, ScriptedModel, call, event_types, final, turn

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

PLAN = ["Read the backlog", "Summarise it"]


async def new_task() -> Task:
    return await sync_to_async(task_start_free_text)(text="Summarise the backlog", user=None)


def function_calls(items: list[Any]) -> list[str]:
    return [item["name"] for item in items if item.get("type") == "function_call"]


def outputs(items: list[Any]) -> list[str]:
    return [item["call_id"] for item in items if item.get("type") == "function_call_output"]


async def test_the_history_is_saved_after_each_turn_while_the_run_goes_on():
    # given a run whose second turn never ends
    task = await new_task()
    second_turn = asyncio.Event()

    async def hang(_call: Any) -> ModelStep:
        second_turn.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    model = ScriptedModel(
        [turn(call("add_todos", {"texts": PLAN}, id="c1")), ModelStep.respond(hang)]
    )
    worker = TaskWorker(model_factory=lambda: (model, "scripted"))

    # when the first turn's tool call has returned and the model is asked again
    worker.wake(task.pk)
    await second_turn.wait()
    await get_writer().drained()  # the history write is pipelined with the run

    # then the task's history holds the request, the call and its result
    saved = (await Task.objects.aget(pk=task.pk)).history
    assert saved[0] == {"role": "user", "content": "Summarise the backlog"}
    assert (function_calls(saved), outputs(saved)) == (["add_todos"], ["c1"])
    await worker.stop()


async def test_a_worker_dying_mid_run_is_resumed_from_the_saved_history():
    # given a run killed in its second turn, after its first turn's to-dos were added
    task = await new_task()
    second_turn = asyncio.Event()

    async def hang(_call: Any) -> ModelStep:
        second_turn.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    doomed = TaskWorker(
        model_factory=lambda: (
            ScriptedModel(
                [turn(call("add_todos", {"texts": PLAN}, id="c1")), ModelStep.respond(hang)]
            ),
            "scripted",
        )
    )
    doomed.wake(task.pk)
    await second_turn.wait()
    await get_writer().drained()
    await doomed.stop()  # like a kill: no end is written, the lease stays

    # when its lease expires and another worker takes the task
    await Task.objects.filter(pk=task.pk).aupdate(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert await sync_to_async(task_recover_stale)() == [task.pk]
    model = ScriptedModel([final("Summary written.")])
    survivor = TaskWorker(model_factory=lambda: (model, "scripted"))
    survivor.wake(task.pk)
    await survivor.join()

    # then the new run started from the saved conversation: the model saw the to-dos' result
    # and was not asked to plan again; the plan was not doubled
    assert model.first_call is not None
    sent = model.first_call.input
    assert isinstance(sent, list) and outputs(sent) == ["c1"]
    task = await Task.objects.aget(pk=task.pk)
    assert (task.status, task.final_output, task.attempts) == ("completed", "Summary written.", 2)
    assert await Todo.objects.filter(task=task).acount() == len(PLAN)
    assert (await event_types(task)).count("todo.added") == len(PLAN)
    # and the completed run's history continues the saved one
    assert function_calls(task.history) == ["add_todos"]
    assert task.history[-1]["role"] == "assistant"


def _tool_called(call_id: str) -> RunItemStreamEvent:
    from agents.items import ToolCallItem

    from tasks.agents.support import support_agent

    raw = call("lookup_customer", {}, id=call_id)
    return RunItemStreamEvent(
        name="tool_called", item=ToolCallItem(agent=support_agent, raw_item=raw)
    )


async def test_a_history_with_a_call_awaiting_its_result_is_not_saved():
    # given a run whose last tool call has no result yet (e.g. paused for approval)
    task = await new_task()
    progress = RunProgress(task.pk, prefix=[], input="Summarise the backlog")
    progress.track(_tool_called("c1"))

    # when the run flushes with that call outstanding
    updates = progress.updates(settled=False)

    # then nothing is written: a resumed model could not continue such a conversation
    assert updates == {}
    assert progress.saves == 0


async def test_a_worker_that_lost_its_lease_does_not_overwrite_the_history():
    # given a task now running on another worker
    task = await new_task()
    await Task.objects.filter(pk=task.pk).aupdate(
        status=Task.Status.RUNNING,
        lease_owner="new-owner",
        history=[{"role": "user", "content": "x"}],
    )
    progress = RunProgress(task.pk, prefix=[], input="Summarise the backlog")
    progress.track(_tool_called("c1"))

    # when the old worker flushes its batch with the history, as a run does
    recorder = EventRecorder(task.pk, guard=run_guard("old-owner"))
    recorder.update_task(**progress.updates(settled=True))
    await recorder.flush()
    await recorder.settle()

    assert (await Task.objects.aget(pk=task.pk)).history == [{"role": "user", "content": "x"}]


def _task_that_replied_after_its_last_save(*, history: list[Any]) -> Task:
    """A queued task on a ticket (a dead worker's, recovered) whose reply under call
    ``c-lost`` reached the thread after ``history`` was last saved."""
    from tasks.services.task_ticket_actions import task_reply_to_customer
    from tests.factories import make_task, make_ticket

    ticket = make_ticket()
    # attempts=1: the dead worker's claim
    task = make_task(
        ticket=ticket, status=Task.Status.QUEUED, history=history, input="Help", attempts=1
    )
    task_reply_to_customer(
        task_id=task.pk, ticket_id=ticket.pk, body="We refunded the duplicate.", call_id="c-lost"
    )
    return task


def _agent_replies(task: Task) -> int:
    from tasks.models import TicketMessage

    return TicketMessage.objects.filter(
        ticket_id=task.ticket_id, author_kind=TicketMessage.AuthorKind.AGENT
    ).count()


async def test_a_reply_posted_after_the_last_save_is_put_back_into_the_conversation():
    # given a recovered task whose saved history ends before the reply it posted
    saved = [
        {"role": "user", "content": "Help"},
        {"type": "function_call", "call_id": "c1", "name": "add_todos", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "{}"},
    ]
    task = await sync_to_async(_task_that_replied_after_its_last_save)(history=saved)
    model = ScriptedModel([final("All done.")])

    # when a worker runs it again
    worker = TaskWorker(model_factory=lambda: (model, "scripted"))
    worker.wake(task.pk)
    await worker.join()

    # then the model sees the saved conversation, then the call that posted the reply and its
    # result: it knows it replied (a model replaying the turn would otherwise reply again)
    assert model.first_call is not None
    sent = model.first_call.input
    assert isinstance(sent, list) and sent[:3] == saved
    call, result = sent[3], sent[4]
    assert (call["type"], call["name"], call["call_id"]) == (
        "function_call",
        "reply_to_customer",
        "c-lost",
    )
    assert json.loads(call["arguments"]) == {"body": "We refunded the duplicate."}
    assert (result["type"], result["call_id"]) == ("function_call_output", "c-lost")
    assert "message" in json.loads(result["output"])
    assert await sync_to_async(_agent_replies)(task) == 1
    task = await Task.objects.aget(pk=task.pk)
    assert task.status == Task.Status.COMPLETED
    assert outputs(task.history) == ["c1", "c-lost"]


async def test_a_task_that_died_before_any_save_starts_from_its_input_and_its_reply():
    # given the reply was posted before the first history save
    task = await sync_to_async(_task_that_replied_after_its_last_save)(history=[])
    model = ScriptedModel([final("All done.")])

    # when a worker runs it again
    worker = TaskWorker(model_factory=lambda: (model, "scripted"))
    worker.wake(task.pk)
    await worker.join()

    # then the conversation is the request, then the reply's call and result
    assert model.first_call is not None
    sent = model.first_call.input
    assert isinstance(sent, list) and sent[0] == {"role": "user", "content": "Help"}
    assert outputs(sent) == ["c-lost"]


async def test_a_history_that_recorded_the_reply_is_sent_as_it_is():
    # given a saved history that already holds the reply's call and result
    saved = [
        {"role": "user", "content": "Help"},
        {
            "type": "function_call",
            "call_id": "c-lost",
            "name": "reply_to_customer",
            "arguments": "{}",
        },
        {"type": "function_call_output", "call_id": "c-lost", "output": "{}"},
    ]
    task = await sync_to_async(_task_that_replied_after_its_last_save)(history=saved)
    model = ScriptedModel([final("All done.")])

    worker = TaskWorker(model_factory=lambda: (model, "scripted"))
    worker.wake(task.pk)
    await worker.join()

    assert model.first_call is not None and model.first_call.input == saved
