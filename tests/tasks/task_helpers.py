"""Helpers for agent runtime tests: start a task and run it through the real worker with a
scripted model (``agents.testing.ScriptedModel``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agents import Model
from agents.testing import ModelStep, ScriptedModel, assistant_message, function_call
from agents.usage import Usage
from asgiref.sync import sync_to_async

from tasks.models import Task, TaskEvent
from tasks.runtime.worker import TaskWorker

SCRIPTED_MODEL_NAME = "scripted-test-model"

__all__ = [
    "ModelStep",
    "ScriptedModel",
    "assistant_message",
    "call",
    "event_types",
    "events",
    "final",
    "run_task",
    "turn",
]


def call(name: str, arguments: dict[str, Any] | str | None = None, *, id: str) -> Any:
    return function_call(name, arguments if arguments is not None else {}, call_id=id)


def turn(*items: Any, input_tokens: int = 0, output_tokens: int = 0) -> ModelStep:
    usage = Usage(
        requests=1,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=input_tokens + output_tokens,
    )
    return ModelStep(output=list(items), usage=usage)


def final(text: str, **kw: int) -> ModelStep:
    return turn(assistant_message(text), **kw)


async def run_task(
    task: Task,
    steps: Sequence[Any] | Model,
    *,
    name: str = SCRIPTED_MODEL_NAME,
    guard_model: Model | None = None,
) -> Task:
    """Runs ``task`` (queued) to the end of its run on a fresh worker; returns it reloaded.
    ``guard_model``: the model-backed guardrails run on it (the rules alone without one)."""
    model = steps if isinstance(steps, Model) else ScriptedModel(list(steps))
    worker = TaskWorker(
        model_factory=lambda: (model, name),
        concurrency=4,
        guard_model_factory=lambda: guard_model,
    )
    worker.wake(task.pk)
    await worker.join()
    return await Task.objects.select_related("ticket").aget(pk=task.pk)


def _events(task_id: int) -> list[tuple[str, dict[str, Any]]]:
    return [(e.type, e.data) for e in TaskEvent.objects.filter(task_id=task_id).order_by("seq")]


async def events(task: Task) -> list[tuple[str, dict[str, Any]]]:
    return await sync_to_async(_events)(task.pk)


async def event_types(task: Task) -> list[str]:
    return [t for t, _ in await events(task)]
