"""The values the offline model's decision logic passes around."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tasks.agents.providers.offline_facts import day, money


@dataclass(frozen=True)
class PlannedCall:
    """A tool call the offline model decided to make."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """One model turn: a reasoning summary, then tool calls or a final message."""

    reasoning: str
    calls: list[PlannedCall] = field(default_factory=list)
    message: str | None = None


@dataclass(frozen=True)
class Findings:
    """What an analysis concluded: ``kind`` picks the reply, ``conclusion`` is the reasoning
    summary, ``action`` the side-effecting call the facts warrant (if any), ``data`` the facts
    the reply and the note quote."""

    kind: str
    conclusion: str
    action: PlannedCall | None = None
    data: dict[str, Any] = field(default_factory=dict)


def label(order: dict[str, Any]) -> str:
    return (
        f"{order.get('number')} ({order.get('description', 'order')}, "
        f"{money(order.get('amount'), str(order.get('currency') or 'USD'))}, "
        f"charged {day(order.get('charged_at'))})"
    )
