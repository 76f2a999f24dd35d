"""The run context every agent tool receives. Ids only: tools load what they need through
services and selectors, so a context never carries stale ORM objects across awaits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SupportContext:
    task_id: int
    ticket_id: int | None
    customer_id: int | None
    user_id: int | None
