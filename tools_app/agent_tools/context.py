"""The run context every agent tool receives. Ids only: tools load what they need through
services and selectors, so a context never carries stale ORM objects across awaits."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any


@dataclasses.dataclass
class SupportContext:
    task_id: int
    ticket_id: int | None
    customer_id: int | None
    user_id: int | None
    # The task's run this context belongs to (``Task.run_number``): approvals are bound to it.
    run_number: int = 1
    # Tools this run may not use (who started it, the ticket's category): they are not offered
    # to the model, and the instructions do not mention them.
    disabled_tools: tuple[str, ...] = ()

    @staticmethod
    def serialize(context: Any) -> Mapping[str, Any]:
        """For ``RunState.to_json(context_serializer=SupportContext.serialize)``."""
        data = dataclasses.asdict(context)
        data["disabled_tools"] = list(data.get("disabled_tools") or ())
        return data

    @classmethod
    def deserialize(cls, data: Mapping[str, Any]) -> SupportContext:
        """For ``RunState.from_json(agent, data, context_deserializer=...)`` on resume."""
        return cls(
            task_id=int(data["task_id"]),
            ticket_id=data.get("ticket_id"),
            customer_id=data.get("customer_id"),
            user_id=data.get("user_id"),
            run_number=int(data.get("run_number") or 1),
            disabled_tools=tuple(
                str(name) for name in data.get("disabled_tools") or () if isinstance(name, str)
            ),
        )
