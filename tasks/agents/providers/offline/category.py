"""What a ticket category is to the offline model: its plan, the knowledge it reads, how it
reads the facts, and how it answers. One module per category in ``categories/`` defines one
``Category``; ``categories.CATEGORIES`` is the table the engine looks them up in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tasks.agents.providers.offline.facts import Facts
from tasks.agents.providers.offline.knowledge import Purpose
from tasks.agents.providers.offline.todos import Step
from tasks.agents.providers.offline.transcript import TicketHeader
from tasks.agents.providers.offline.types import Findings, Has, Outcomes, PlannedCall, Wrapup

Knowledge = Callable[[Facts, TicketHeader, Has], list[PlannedCall]]
Research = Callable[[Facts], Purpose | None]


def no_research(facts: Facts) -> Purpose | None:
    return None


@dataclass(frozen=True)
class Category:
    """``knowledge``: the reads after the runbook (which every category gets, with the orders
    the customer names). ``research``: whether the best knowledge-base match is read in full
    before analysing, and what it must be. ``needs_account``: whether the ticket must have a
    customer account (and its orders) before anything is analysed. ``specialist``: who takes
    the case when the agent can hand it off. ``wrapup`` gets the outcome
    of each action of the findings."""

    name: str
    plan: tuple[Step, ...]
    knowledge: Knowledge
    analyze: Callable[[Facts], Findings]
    wrapup: Callable[[Findings, Facts, Outcomes], Wrapup]
    research: Research = no_research
    needs_account: bool = True
    # The specialist the support agent hands this category to, when it has one ("billing",
    # "technical"); "" : the support agent works it.
    specialist: str = ""

    @property
    def handoff_tool(self) -> str:
        return f"hand_to_{self.specialist}_specialist" if self.specialist else ""
