"""What every agent tool shares: the decorator that turns an ``async def`` returning a dict into
an SDK function tool with JSON results, readable errors and a timeout.

A tool body returns a JSON-able dict or raises ``ApplicationError``; both become a JSON string
for the model (``{"error": ..., "field": ...}`` on failure) and the run goes on.

Every tool carries an input guardrail that checks the raw arguments before anything else sees
them: a JSON object (no NaN or Infinity), exactly the declared parameters (no extra keys, no
number where a string is declared), then the tool's own ``validate`` hook (for
``issue_refund``: the refund policy). The run config runs guardrails before an approval pause
too (``ToolExecutionConfig(pre_approval_tool_input_guardrails=True)``), so an invalid call is
answered with its error at once and never reaches a person; the SDK runs them again right
before execution. ``tool_failure_message`` explains anything that still escapes."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from agents import (
    FunctionTool,
    RunContextWrapper,
    ToolGuardrailFunctionOutput,
    ToolInputGuardrail,
    ToolInputGuardrailData,
    function_tool,
)
from agents.exceptions import ModelBehaviorError
from agents.function_schema import function_schema
from agents.run_config import ToolErrorFormatterArgs
from django.conf import settings
from pydantic import BaseModel, ConfigDict, ValidationError

from tools_app.agent_tools.context import SupportContext
from tools_app.agent_tools.faults import fault_point
from tools_app.errors import ApplicationError

logger = logging.getLogger(__name__)

TOOL_TIMED_OUT = "The tool timed out"
TOOL_BAD_JSON = "The arguments are not a valid JSON object."
TOOL_BAD_ARGUMENTS = "The arguments do not match the tool's parameters"
TOOL_BAD_CONSTANT = (
    "The arguments contain {value}, which is not a JSON number; send numbers as plain digits."
)
TOOL_UNEXPECTED = "The tool failed unexpectedly; nothing was changed by this call."
TOOL_NOT_FOUND = "There is no tool named {name!r}; use one of the tools you were given."
NO_CUSTOMER = "This task has no customer: it is not about a ticket from a known customer."
NO_TICKET = "This task is not about a ticket."

ApprovalCheck = Callable[[RunContextWrapper[Any], dict[str, Any], str], Awaitable[bool]]
# A tool's own check of valid arguments, before a pause and before execution: raises
# ``ApplicationError`` for a call that must not go ahead.
Validate = Callable[[RunContextWrapper[Any], dict[str, Any], str], Awaitable[None]]

# Argument models per tool name, to explain a call the SDK rejected.
_PARAM_MODELS: dict[str, type[BaseModel]] = {}


def encode(result: dict[str, Any]) -> str:
    return json.dumps(result, default=str, ensure_ascii=False)


def customer_id_of(ctx: RunContextWrapper[SupportContext]) -> int:
    """The ticket's customer, from the run context (never from the model's arguments)."""
    customer_id = ctx.context.customer_id
    if customer_id is None:
        raise ApplicationError(NO_CUSTOMER)
    return customer_id


def ticket_id_of(ctx: RunContextWrapper[SupportContext]) -> int:
    ticket_id = ctx.context.ticket_id
    if ticket_id is None:
        raise ApplicationError(NO_TICKET)
    return ticket_id


class NonStandardConstant(ValueError):
    def __init__(self, value: str) -> None:
        super().__init__(value)
        self.value = value


def _reject_constant(value: str) -> Any:
    raise NonStandardConstant(value)


def strict_json_loads(text: str) -> Any:
    """``json.loads`` refusing NaN, Infinity and -Infinity (``NonStandardConstant``, a
    ``ValueError``): what a model sends is stored and validated as standard JSON only."""
    return json.loads(text, parse_constant=_reject_constant)


def parse_arguments(raw: str) -> dict[str, Any]:
    """The call's arguments as a JSON object, strictly: NaN, Infinity and -Infinity (which
    ``json.loads`` accepts) are refused. Raises ``ApplicationError``."""
    try:
        data = strict_json_loads(raw) if raw and raw.strip() else {}
    except NonStandardConstant as exc:
        raise ApplicationError(
            TOOL_BAD_CONSTANT.format(value=exc.value), {"field": "arguments"}
        ) from None
    except ValueError:
        raise ApplicationError(TOOL_BAD_JSON, {"field": "arguments"}) from None
    if not isinstance(data, dict):
        raise ApplicationError(TOOL_BAD_JSON, {"field": "arguments"})
    return data


def strict_model(model: type[BaseModel]) -> type[BaseModel]:
    """``model`` refusing extra keys and type coercion (a number where a string is declared)."""
    return type(
        f"{model.__name__}_strict",
        (model,),
        {"model_config": ConfigDict(extra="forbid", strict=True)},
    )


def check_arguments(tool_name: str, raw: str) -> dict[str, Any]:
    """Parses and validates a call's raw arguments against the tool's strict parameters.
    Returns them as parsed; raises ``ApplicationError`` naming the field at fault."""
    data = parse_arguments(raw)
    model = _PARAM_MODELS.get(tool_name)
    if model is not None:
        try:
            model.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(part) for part in first.get("loc", ())) or "arguments"
            raise ApplicationError(
                f"{TOOL_BAD_ARGUMENTS}: {field}: {first['msg']}", {"field": field}
            ) from None
    return data


def _argument_error(tool_name: str, raw: str) -> dict[str, Any]:
    try:
        check_arguments(tool_name, raw)
    except ApplicationError as exc:
        return exc.as_dict()
    return {"error": TOOL_BAD_ARGUMENTS + ".", "field": "arguments"}


def _input_guardrail(tool_name: str, validate: Validate | None) -> ToolInputGuardrail[Any]:
    async def check(data: ToolInputGuardrailData) -> ToolGuardrailFunctionOutput:
        ctx = data.context
        try:
            arguments = check_arguments(tool_name, ctx.tool_arguments or "")
            if validate is not None:
                await validate(ctx, arguments, ctx.tool_call_id)
        except ApplicationError as exc:
            return ToolGuardrailFunctionOutput.reject_content(encode(exc.as_dict()))
        return ToolGuardrailFunctionOutput.allow()

    return ToolInputGuardrail(guardrail_function=check, name=f"{tool_name}_arguments")


def tool_failure_message(ctx: RunContextWrapper[Any], error: Exception) -> str:
    """The SDK calls this for anything that escaped a tool: bad arguments (explained so the
    model can fix its call) or a bug (logged; the model hears only that it failed)."""
    if isinstance(error, ModelBehaviorError):
        name = getattr(ctx, "tool_name", "")
        return encode(_argument_error(name, getattr(ctx, "tool_arguments", "") or ""))
    logger.error("Agent tool %s failed", getattr(ctx, "tool_name", "?"), exc_info=error)
    return encode({"error": TOOL_UNEXPECTED})


def tool_error_formatter(args: ToolErrorFormatterArgs[Any]) -> str | None:
    """Run-level formatter: a call to a tool that does not exist gets a JSON error result and
    the run goes on (with ``tool_not_found_behavior="return_error_to_model"``)."""
    if args.kind == "tool_not_found":
        return encode({"error": TOOL_NOT_FOUND.format(name=args.tool_name), "field": "name"})
    return None


def _enabled_for_run(name: str) -> Callable[[Any, Any], bool]:
    """A tool is offered to the model unless the run's context disables it (who started the
    task, the ticket's category: decided once per run, tasks.task_selectors)."""

    def enabled(run_context: Any, agent: Any) -> bool:
        context = getattr(run_context, "context", None)
        return name not in (getattr(context, "disabled_tools", None) or ())

    return enabled


def support_tool(
    func: Callable[..., Awaitable[dict[str, Any]]] | None = None,
    *,
    needs_approval: bool | ApprovalCheck = False,
    validate: Validate | None = None,
) -> Any:
    """``@support_tool``: an ``async def`` returning a dict becomes a ``FunctionTool`` whose
    result is JSON, whose ``ApplicationError`` is an error result, and which gives up after
    ``settings.TOOL_TIMEOUT_SECONDS`` with ``{"error": "The tool timed out"}``."""

    def build(body: Callable[..., Awaitable[dict[str, Any]]]) -> FunctionTool:
        @functools.wraps(body)
        async def wrapper(*args: Any, **kwargs: Any) -> str:
            timeout = settings.TOOL_TIMEOUT_SECONDS
            fault_point(f"tool.before:{body.__name__}")
            try:
                async with asyncio.timeout(timeout):
                    result = await body(*args, **kwargs)
            except ApplicationError as exc:
                result = exc.as_dict()
            except TimeoutError:
                result = {"error": TOOL_TIMED_OUT, "timeout_seconds": timeout}
            fault_point(f"tool.after:{body.__name__}")
            return encode(result)

        tool = function_tool(
            wrapper,
            failure_error_function=tool_failure_message,
            needs_approval=needs_approval,
            is_enabled=_enabled_for_run(body.__name__),
        )
        _PARAM_MODELS[tool.name] = strict_model(function_schema(wrapper).params_pydantic_model)
        tool.tool_input_guardrails = [_input_guardrail(tool.name, validate)]
        return tool

    return build(func) if func is not None else build
