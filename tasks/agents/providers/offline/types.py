"""The values the offline model's decision logic passes around."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tasks.agents.providers.offline.facts import day, money


@dataclass(frozen=True)
class PlannedCall:
    """A tool call the offline model decided to make."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        """What makes two calls the same action: the tool and the thing it acts on (an order,
        a document title), so a call made before a crash or a resume is recognised again."""
        subject = self.arguments.get("order_number") or self.arguments.get("title") or ""
        return self.name, str(subject).upper()


@dataclass(frozen=True)
class Decision:
    """One model turn: a reasoning summary, then tool calls or a final message."""

    reasoning: str
    calls: list[PlannedCall] = field(default_factory=list)
    message: str | None = None


@dataclass(frozen=True)
class Findings:
    """What an analysis concluded: ``kind`` picks the reply, ``conclusion`` is the reasoning
    summary, ``actions`` the side-effecting calls the facts warrant (made one per turn, each
    refund with an approval of its own), ``data`` the facts the reply and the note quote."""

    kind: str
    conclusion: str
    actions: tuple[PlannedCall, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """What happened to one side-effecting call the findings asked for."""

    state: str  # none | done | refused | rejected
    result: dict[str, Any]
    message: str = ""


@dataclass(frozen=True)
class Wrapup:
    """How a ticket run ends: the reply (None: a person must write it; the note says why), the
    internal note, the ticket status and a one-line summary for staff; ``escalate`` hands the
    ticket to people (an escalation queue and the reason)."""

    reply: str | None
    note: str
    status: str
    summary: str
    escalate: tuple[str, str] | None = None


# The outcome of each action of the findings, by action key (PlannedCall.key).
Outcomes = dict[tuple[str, str], Outcome]
Has = Callable[[str], bool]


def label(order: dict[str, Any]) -> str:
    return (
        f"{order.get('number')} ({order.get('description', 'order')}, "
        f"{money(order.get('amount'), str(order.get('currency') or 'USD'))}, "
        f"charged {day(order.get('charged_at'))})"
    )
