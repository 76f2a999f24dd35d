"""The agent's plan: to-dos shown to staff as a checklist (not as timeline entries)."""

from __future__ import annotations

from typing import Any, Literal

from agents import RunContextWrapper
from asgiref.sync import sync_to_async

from tasks.services.task_todos import todo_add_many, todo_dict, todo_set_status
from tools_app.agent_tools.base import support_tool
from tools_app.agent_tools.context import SupportContext

TODO_TOOL_NAMES = frozenset({"add_todos", "set_todo_status"})


def _add(task_id: int, texts: list[str]) -> dict[str, Any]:
    return {"todos": [todo_dict(t) for t in todo_add_many(task_id=task_id, texts=texts)]}


def _set(task_id: int, todo_id: int, status: str) -> dict[str, Any]:
    return {"todo": todo_dict(todo_set_status(task_id=task_id, todo_id=todo_id, status=status))}


@support_tool
async def add_todos(ctx: RunContextWrapper[SupportContext], texts: list[str]) -> dict[str, Any]:
    """Write your plan as to-dos before you start; staff watch them as a checklist.

    Args:
        texts: 1 to 12 short steps (each up to 200 characters), in the order you will do them.
    """
    return await sync_to_async(_add)(ctx.context.task_id, texts)


@support_tool
async def set_todo_status(
    ctx: RunContextWrapper[SupportContext],
    todo_id: int,
    status: Literal["pending", "in_progress", "done", "skipped"],
) -> dict[str, Any]:
    """Update one of your to-dos as you work: in_progress when you start it, done when finished,
    skipped when it turned out not to be needed.

    Args:
        todo_id: The id returned by add_todos.
        status: The new status.
    """
    return await sync_to_async(_set)(ctx.context.task_id, todo_id, status)
