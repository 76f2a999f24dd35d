"""The tool registry: every agent tool, registered by name with what it may do (its risk:
read, write or money), who may use it (a permission of the user who started the task) and
where (only with a ticket, only in some ticket categories). Agents are declared with toolsets
(``tools_for("support")``), so a newly registered tool reaches them with no change to any
agent. Staff switch a tool off in the admin (``ToolSetting``); a switched-off tool is not
offered to the model, and a call to it gets an error result.

Registration happens where the tools are defined (``tools_app.agent_tools`` for the business
systems, ``tasks.agents.tools`` for tickets, to-dos and refunds); nothing here imports
``tasks``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from agents import FunctionTool

# The agents' toolsets: what every support agent has, the money tools (the billing
# specialist), writing the knowledge base (the technical specialist).
SUPPORT = "support"
BILLING = "billing"
TECHNICAL = "technical"
ALL_TOOLSETS = (SUPPORT, BILLING, TECHNICAL)


class Risk(StrEnum):
    READ = "read"  # reads the systems; changes nothing
    WRITE = "write"  # changes a ticket, a plan or the knowledge base
    MONEY = "money"  # moves money: always behind a person's approval


@dataclass(frozen=True)
class RegisteredTool:
    tool: FunctionTool
    risk: Risk
    # A permission the task's starter needs ("app_label.codename"); "" for anyone.
    permission: str = ""
    # The agents' toolsets the tool belongs to.
    toolsets: tuple[str, ...] = (SUPPORT,)
    # Only for tasks about a ticket.
    needs_ticket: bool = False
    # Only for tickets whose category is listed in this setting (e.g. REFUND_CATEGORIES).
    categories_setting: str = ""
    # A tool every run needs (the plan, the reply, the note, the status): never switched off.
    required: bool = False

    @property
    def name(self) -> str:
        return self.tool.name

    @property
    def summary(self) -> str:
        return (self.tool.description or "").strip().split("\n", 1)[0][:300]


_TOOLS: dict[str, RegisteredTool] = {}


class RegistryError(ValueError):
    pass


def register(tool: FunctionTool, risk: Risk, **options: object) -> FunctionTool:
    """Registers ``tool`` under its name; the same name twice is a programming error."""
    entry = RegisteredTool(tool=tool, risk=Risk(risk), **options)  # type: ignore[arg-type]
    if entry.name in _TOOLS and _TOOLS[entry.name].tool is not tool:
        raise RegistryError(f"A tool named {entry.name!r} is already registered")
    if entry.risk is Risk.MONEY and entry.required:
        raise RegistryError(f"{entry.name}: a money tool cannot be required")
    _TOOLS[entry.name] = entry
    return tool


def registered(name: str) -> RegisteredTool:
    try:
        return _TOOLS[name]
    except KeyError:
        raise RegistryError(f"No tool named {name!r} is registered") from None


def registered_tools() -> list[RegisteredTool]:
    """Every registered tool, in registration order (the order the model is given them)."""
    return list(_TOOLS.values())


def tools_for(*toolsets: str, names: Iterable[str] = ()) -> list[FunctionTool]:
    """The tools of these toolsets, plus any named ones, in registration order."""
    wanted = set(names)
    for name in wanted:
        registered(name)  # an unknown name fails when the agent is declared
    return [
        entry.tool
        for entry in _TOOLS.values()
        if entry.name in wanted or set(entry.toolsets) & set(toolsets)
    ]


def tools_of_risk(risk: Risk) -> tuple[str, ...]:
    return tuple(entry.name for entry in _TOOLS.values() if entry.risk is risk)
