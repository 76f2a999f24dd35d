"""Answers copilot conversations in the worker process, one message at a time per conversation.

``wake(conversation_id)`` (from the worker's channel, or its sweep) starts a loop for the
conversation unless one runs: it claims the oldest queued message (a staff message or a
notice), streams the answer's text to the conversation's sockets piece by piece, stores the
answer, and goes on with the next queued message. Answers of different conversations run side
by side on the event loop, next to the tasks (the chat model's calls are I/O; its tools return
at once). ``wake(..., interrupt=True)`` stops the answer in progress here at once; another
worker's answer stops at its next heartbeat (the message was marked interrupted)."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import socket
from collections.abc import Callable
from typing import Any

from agents import Model, RunConfig, Runner
from agents.models.openai_responses import OpenAIResponsesModel
from agents.result import RunResultStreaming
from django.conf import settings

from tasks.agents.providers.provider import describe_model_error, get_chat_model
from tasks.agents.tools import tool_error_formatter
from tasks.copilot.agent import copilot_agent
from tasks.copilot.db import db
from tasks.copilot.tools import CopilotContext
from tasks.copilot_events import answer_delta
from tasks.copilot_selectors import conversation_history
from tasks.models import Conversation, ConversationMessage
from tasks.runtime.pacing import TurnGate
from tasks.services.conversations import (
    answer_claim,
    answer_finish,
    answer_heartbeat,
    answer_release,
)

logger = logging.getLogger(__name__)

Msg = ConversationMessage
NOTICE_PREFIX = "[Task update] "
FAILED_ANSWER = "The copilot could not answer: {reason} Use Retry to ask again."


def render(message: Msg) -> str:
    """A stored message as the model reads it (a notice says it is one; a staff message
    carries the page it was sent from)."""
    if message.role == Msg.Role.NOTICE:
        return NOTICE_PREFIX + message.body
    context = message.context or {}
    where = []
    if context.get("ticket_number"):
        where.append(f"the staff member is on ticket #{context['ticket_number']}")
    if context.get("filter"):
        where.append(f"backlog filtered by {context['filter']}")
    if where:
        return f"{message.body}\n\n(Context: {'; '.join(where)})"
    return message.body


def model_input(
    history: list[Msg], question: Msg, *, model: Model, last_response_id: str
) -> tuple[list[Any], str | None]:
    """The conversation for the model, and the response to continue from: on the Responses
    API the server holds the conversation (only the new message is sent); otherwise the
    stored history."""
    new = {"role": "user", "content": render(question)}
    if isinstance(model, OpenAIResponsesModel) and last_response_id and history:
        return [new], last_response_id
    items: list[Any] = [
        {
            "role": "assistant" if m.role == Msg.Role.ASSISTANT else "user",
            "content": render(m),
        }
        for m in history
    ]
    return [*items, new], None


def _owner() -> str:
    return f"copilot:{socket.gethostname()}:{os.getpid()}"


class Copilot:
    """``gate``: the worker's turn gate, held from a message's claim (or, on the socket, from
    its arrival: ``expect``) to its first token, so that a person waiting goes before the
    background runs (``TurnGate.hold``)."""

    def __init__(
        self,
        *,
        model_factory: Callable[[], tuple[Model, str]] = get_chat_model,
        gate: TurnGate | None = None,
    ) -> None:
        self.owner = _owner()
        self.model_factory = model_factory
        self.gate = gate
        self._loops: dict[int, asyncio.Task[None]] = {}
        self._again: set[int] = set()
        self._current: dict[int, RunResultStreaming] = {}
        self._interrupted: set[int] = set()
        self._expected: dict[int, list[Callable[[], None]]] = {}

    def expect(self, conversation_id: int) -> Callable[[], None]:
        """A person is sending ``conversation_id`` a message (the socket, before storing it):
        the background work waits from now, not from the claim, until the answer's first
        token (or ``HOLD_SECONDS``). Returns the release, for a message that was refused."""
        if self.gate is None or self._expected.get(conversation_id):
            # One early hold per conversation: later messages queue behind its answer anyway
            # (and a flood of frames cannot keep the runs waiting longer).
            return _nothing
        release = self.gate.hold()
        self._expected.setdefault(conversation_id, []).append(release)
        return release

    def _release_expected(self, conversation_id: int) -> None:
        for release in self._expected.pop(conversation_id, []):
            release()

    def wake(self, conversation_id: int, *, interrupt: bool = False) -> None:
        if interrupt and conversation_id in self._current:
            self._interrupted.add(conversation_id)
            self._current[conversation_id].cancel(mode="immediate")
        loop = self._loops.get(conversation_id)
        if loop is not None and not loop.done():
            self._again.add(conversation_id)
            return
        # A fresh context: the answer outlives whichever message woke it.
        self._loops[conversation_id] = asyncio.get_running_loop().create_task(
            self._serve(conversation_id), context=contextvars.Context()
        )

    async def join(self) -> None:
        """Waits until no conversation is being answered (tests, benchmarks)."""
        while True:
            running = [loop for loop in self._loops.values() if not loop.done()]
            if not running:
                return
            await asyncio.gather(*running, return_exceptions=True)

    async def _serve(self, conversation_id: int) -> None:
        try:
            while True:
                self._again.discard(conversation_id)
                held = self.gate.hold() if self.gate is not None else _nothing

                def release(held: Callable[[], None] = held) -> None:
                    held()
                    self._release_expected(conversation_id)

                try:
                    # One trip to the database thread: the claim and what the answer reads.
                    claimed = await db(_claim)(conversation_id, self.owner)
                    if claimed is None:
                        if conversation_id in self._again:
                            continue
                        return
                    await self._answer(claimed, first_token=release)
                finally:
                    release()
        except Exception:
            logger.exception("Answering conversation %s failed", conversation_id)
        finally:
            self._loops.pop(conversation_id, None)
            with contextlib.suppress(Exception):
                await db(answer_release)(conversation_id=conversation_id, owner=self.owner)

    async def _answer(
        self, claimed: Claimed, *, first_token: Callable[[], None] = lambda: None
    ) -> None:
        conversation, question, answer, history = claimed
        conversation_id = conversation.pk
        model, model_name = self.model_factory()
        items, previous_response_id = model_input(
            history, question, model=model, last_response_id=conversation.last_response_id
        )
        context = CopilotContext(
            user_id=conversation.user_id, conversation_id=conversation_id, answer_id=answer.pk
        )
        self._interrupted.discard(conversation_id)
        streamed: list[str] = []
        status, body, error, response_id = Msg.Status.DONE, "", "", None
        result: RunResultStreaming | None = None
        heartbeat = asyncio.get_running_loop().create_task(
            self._heartbeat(conversation_id, answer.pk)
        )
        try:
            result = Runner.run_streamed(
                copilot_agent(model),
                items,
                context=context,
                max_turns=settings.COPILOT_MAX_TURNS,
                previous_response_id=previous_response_id,
                run_config=RunConfig(
                    workflow_name="AgentDesk copilot",
                    tool_not_found_behavior="return_error_to_model",
                    tool_error_formatter=tool_error_formatter,
                    tracing_disabled=not settings.OPENAI_API_KEY,
                ),
            )
            self._current[conversation_id] = result
            async for event in result.stream_events():
                delta = _text_delta(event)
                if delta:
                    if not streamed:
                        first_token()
                    streamed.append(delta)
                    await answer_delta(
                        conversation_id=conversation_id, message_id=answer.pk, delta=delta
                    )
            if conversation_id in self._interrupted:
                status, body = Msg.Status.INTERRUPTED, "".join(streamed)
            else:
                body = str(result.final_output or "").strip() or "".join(streamed)
                response_id = result.last_response_id
        except Exception as exc:
            if conversation_id in self._interrupted:
                status, body = Msg.Status.INTERRUPTED, "".join(streamed)
            else:
                logger.info("Copilot answer in conversation %s failed: %r", conversation_id, exc)
                error = describe_model_error(exc)
                status, body = Msg.Status.FAILED, FAILED_ANSWER.format(reason=error)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            self._current.pop(conversation_id, None)
        usage = result.context_wrapper.usage if result is not None else None
        await db(answer_finish)(
            question=question,
            answer=answer,
            body=body,
            status=status,
            error=error,
            response_id=response_id,
            model=model_name,
            input_tokens=usage.input_tokens if usage is not None else 0,
            output_tokens=usage.output_tokens if usage is not None else 0,
        )

    async def _heartbeat(self, conversation_id: int, answer_id: int) -> None:
        interval = max(0.5, settings.COPILOT_ANSWER_LEASE_SECONDS / 3)
        while True:
            await asyncio.sleep(interval)
            try:
                going = await db(answer_heartbeat)(
                    conversation_id=conversation_id, answer_id=answer_id, owner=self.owner
                )
            except Exception:
                logger.warning("Copilot heartbeat failed", exc_info=True)
                continue
            if not going:
                self._interrupted.add(conversation_id)
                result = self._current.get(conversation_id)
                if result is not None:
                    result.cancel(mode="immediate")
                return


def _nothing() -> None:
    return None


Claimed = tuple[Conversation, Msg, Msg, list[Msg]]


def _claim(conversation_id: int, owner: str) -> Claimed | None:
    """The next question to answer (claimed), its empty answer, the conversation and the
    history before the question; None when nothing waits or another worker answers."""
    claimed = answer_claim(conversation_id=conversation_id, owner=owner)
    if claimed is None:
        return None
    question, answer = claimed
    conversation = Conversation.objects.get(pk=conversation_id)
    history = conversation_history(conversation_id=conversation_id, before=question)
    return conversation, question, answer, history


def _text_delta(event: Any) -> str:
    if getattr(event, "type", "") != "raw_response_event":
        return ""
    data = event.data
    if getattr(data, "type", "") == "response.output_text.delta":
        return str(getattr(data, "delta", "") or "")
    return ""


_copilot: Copilot | None = None


def get_copilot() -> Copilot:
    """The process's copilot (in the worker, next to the task runs)."""
    global _copilot
    if _copilot is None:
        _copilot = Copilot()
    return _copilot
