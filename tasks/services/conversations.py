"""The copilot's conversations: writes.

A staff message is stored as ``queued`` and a worker is woken; the worker claims the oldest
queued message of the conversation (one answer at a time per conversation, across workers:
a lease on the conversation row), streams its answer and stores it. A message sent while an
answer streams waits its turn (the default); with ``interrupt`` the answer in progress stops
(kept as ``interrupted``) and the new message is answered next. A delegated task that ends or
needs an approval adds a ``notice`` the copilot then sums up. Every new or changed message takes
the conversation's next ``seq``, so a socket that reconnects catches up by number."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tasks.copilot_events import messages_changed_on_commit, unseen_changed_on_commit
from tasks.models import Conversation, ConversationMessage, ConversationTask, Task
from tasks.services.usage import usage_cost
from tools_app.errors import ApplicationError

logger = logging.getLogger(__name__)

COPILOT_MESSAGE_TYPE = "copilot.answer"
MAX_TITLE = 200

MESSAGE_REQUIRED = "Write a message."
MESSAGE_TOO_LONG = "A message is limited to {limit} characters."
TITLE_REQUIRED = "Give the conversation a title."
TITLE_TOO_LONG = f"A title is limited to {MAX_TITLE} characters."
NOT_RETRYABLE = "Only a message whose answer failed can be asked again."

Msg = ConversationMessage
# A staff message or notice waiting for its answer, or claimed and not answered yet.
UNANSWERED = (Msg.Status.QUEUED, Msg.Status.ANSWERING)


def _user_id(user: AbstractBaseUser | AnonymousUser | None) -> int | None:
    return user.pk if user is not None and user.is_authenticated else None


def copilot_wake_on_commit(conversation_id: int, *, interrupt: bool = False) -> None:
    """Wakes a worker to answer the conversation once the message is committed (best effort:
    a worker's sweep finds queued messages whose wake-up was lost)."""

    def wake() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.send)(
                settings.WORKER_CHANNEL,
                {
                    "type": COPILOT_MESSAGE_TYPE,
                    "conversation_id": conversation_id,
                    "interrupt": interrupt,
                },
            )
        except Exception:
            logger.warning(
                "Could not wake a worker for conversation %s", conversation_id, exc_info=True
            )

    transaction.on_commit(wake)


class Numbering:
    """The conversation's next numbers, from its row locked for this transaction: messages
    added or changed take one each; ``save`` stores the last one (with any other fields of
    the conversation) in one UPDATE."""

    def __init__(self, conversation_id: int, *, locked: Conversation | None = None) -> None:
        if locked is None:
            locked = (
                Conversation.objects.select_for_update().only("last_seq").get(pk=conversation_id)
            )
        self.conversation_id = conversation_id
        self.last = locked.last_seq
        self.changed: list[int] = []

    def take(self) -> int:
        self.last += 1
        return self.last

    def save(self, **fields: Any) -> None:
        Conversation.objects.filter(pk=self.conversation_id).update(
            last_seq=self.last, updated_at=timezone.now(), **fields
        )
        if self.changed:
            messages_changed_on_commit(
                conversation_id=self.conversation_id, message_ids=self.changed
            )


def _add(numbering: Numbering, **fields: Any) -> Msg:
    message = Msg.objects.create(
        conversation_id=numbering.conversation_id, seq=numbering.take(), **fields
    )
    numbering.changed.append(message.pk)
    return message


def _change(numbering: Numbering, message: Msg, **fields: Any) -> Msg:
    """Updates ``message`` and gives it the conversation's next number (it shows again)."""
    fields["seq"] = numbering.take()
    fields["updated_at"] = timezone.now()
    Msg.objects.filter(pk=message.pk).update(**fields)
    for name, value in fields.items():
        setattr(message, name, value)
    numbering.changed.append(message.pk)
    return message


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if len(title) > MAX_TITLE:
        raise ApplicationError(TITLE_TOO_LONG, {"field": "title"})
    return title


def _whole(value: object) -> int:
    """An id as given, or -1 (matches nothing) for anything else (a bool, text, a float)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def clean_message_text(text: object) -> str:
    """The text of a staff message, or a clear error (empty, oversized, not text)."""
    if not isinstance(text, str) or not text.strip():
        raise ApplicationError(MESSAGE_REQUIRED, {"field": "text"})
    text = text.strip()
    limit = settings.COPILOT_MAX_MESSAGE_CHARS
    if len(text) > limit:
        raise ApplicationError(MESSAGE_TOO_LONG.format(limit=limit), {"field": "text"})
    return text


# --- people -----------------------------------------------------------------------------------


def conversation_create(*, user: AbstractBaseUser, title: str = "") -> Conversation:
    return Conversation.objects.create(user_id=user.pk, title=_clean_title(title))


def conversation_rename(*, conversation: Conversation, title: str) -> Conversation:
    cleaned = _clean_title(title)
    if not cleaned:
        raise ApplicationError(TITLE_REQUIRED, {"field": "title"})
    conversation.title = cleaned
    conversation.save(update_fields=["title", "updated_at"])
    return conversation


def conversation_delete(*, conversation: Conversation) -> None:
    conversation.delete()


def conversation_mark_seen(*, conversation: Conversation) -> None:
    if conversation.unseen_notices:
        Conversation.objects.filter(pk=conversation.pk).update(unseen_notices=0)
        conversation.unseen_notices = 0
        unseen_changed_on_commit(user_id=conversation.user_id)


@transaction.atomic
def message_post(
    *,
    conversation: Conversation,
    text: object,
    interrupt: bool = False,
    context: dict[str, Any] | None = None,
) -> Msg:
    """Stores a staff message (queued) and wakes a worker to answer it. With ``interrupt``,
    the answer in progress stops and this message is answered next; without, it waits its
    turn. A first message names an untitled conversation."""
    cleaned = clean_message_text(text)
    numbering = Numbering(conversation.pk)
    title: dict[str, str] = {}
    if not conversation.title:
        first_line = cleaned.splitlines()[0]
        title["title"] = first_line if len(first_line) <= 80 else first_line[:79] + "…"
        conversation.title = title["title"]
    message = _add(
        numbering,
        role=Msg.Role.USER,
        status=Msg.Status.QUEUED,
        body=cleaned,
        context=context or {},
    )
    if interrupt:
        # The answer in progress, if any, ends as interrupted (the worker sees it at its next
        # check, or at once through the wake-up); what waited before stays queued.
        for answering in Msg.objects.filter(
            conversation_id=conversation.pk, role=Msg.Role.ASSISTANT, status=Msg.Status.ANSWERING
        ):
            _change(numbering, answering, status=Msg.Status.INTERRUPTED)
    numbering.save(**title)
    copilot_wake_on_commit(conversation.pk, interrupt=interrupt)
    return message


@transaction.atomic
def message_retry(*, conversation: Conversation, message_id: object) -> Msg:
    """Asks a question again whose answer failed (the chat model was down)."""
    message = (
        Msg.objects.select_for_update()
        .filter(conversation_id=conversation.pk, pk=_whole(message_id))
        .first()
    )
    if message is None or message.status != Msg.Status.FAILED or message.role == Msg.Role.ASSISTANT:
        raise ApplicationError(NOT_RETRYABLE, {"field": "message_id"})
    numbering = Numbering(conversation.pk)
    _change(numbering, message, status=Msg.Status.QUEUED)
    numbering.save()
    copilot_wake_on_commit(conversation.pk)
    return message


# --- the worker -------------------------------------------------------------------------------


@transaction.atomic
def answer_claim(*, conversation_id: int, owner: str) -> tuple[Msg, Msg] | None:
    """Takes the conversation's oldest queued message to answer: ``(question, answer)``, the
    answer an empty assistant message being written. None when nothing waits or another
    worker's claim still holds."""
    now = timezone.now()
    conversation = (
        Conversation.objects.select_for_update()
        .only("answer_owner", "answer_lease_until", "last_seq")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        return None
    held = (
        conversation.answer_owner
        and conversation.answer_owner != owner
        and conversation.answer_lease_until is not None
        and conversation.answer_lease_until > now
    )
    if held:
        return None
    # A question left "answering" (its worker died, or its answer could not be stored) is
    # asked again first: no live claim holds it any more.
    waiting = (
        Msg.objects.filter(conversation_id=conversation_id, status__in=UNANSWERED)
        .exclude(role=Msg.Role.ASSISTANT)
        .order_by("seq", "id")
    )
    question = waiting.first()
    if question is None:
        if conversation.answer_owner:
            Conversation.objects.filter(pk=conversation_id).update(
                answer_owner="", answer_lease_until=None
            )
        return None
    numbering = Numbering(conversation_id, locked=conversation)
    # An answer left half-written by a dead worker ends as interrupted.
    for stale in Msg.objects.filter(
        conversation_id=conversation_id, role=Msg.Role.ASSISTANT, status=Msg.Status.ANSWERING
    ):
        _change(numbering, stale, status=Msg.Status.INTERRUPTED)
    _change(numbering, question, status=Msg.Status.ANSWERING)
    answer = _add(
        numbering, role=Msg.Role.ASSISTANT, status=Msg.Status.ANSWERING, reply_to=question
    )
    numbering.save(
        answer_owner=owner,
        answer_lease_until=now + timedelta(seconds=settings.COPILOT_ANSWER_LEASE_SECONDS),
    )
    return question, answer


def answer_heartbeat(*, conversation_id: int, answer_id: int, owner: str) -> bool:
    """Renews the claim; False when the answer should stop (interrupted, or the claim lost)."""
    now = timezone.now()
    renewed = Conversation.objects.filter(pk=conversation_id, answer_owner=owner).update(
        answer_lease_until=now + timedelta(seconds=settings.COPILOT_ANSWER_LEASE_SECONDS)
    )
    still = Msg.objects.filter(pk=answer_id, status=Msg.Status.ANSWERING).exists()
    return bool(renewed) and still


@transaction.atomic
def answer_finish(
    *,
    question: Msg,
    answer: Msg,
    body: str,
    status: str = Msg.Status.DONE,
    error: str = "",
    response_id: str | None = None,
    model: str = "",
    input_tokens: int = 0,
    output_tokens: int = 0,
) -> Msg:
    """Stores the answer (done, failed or interrupted) and settles its question: answered, or
    failed (a Retry asks it again). An answer already marked interrupted stays so, with what
    was written of it."""
    numbering = Numbering(question.conversation_id)
    current = Msg.objects.only("status").get(pk=answer.pk)
    if current.status == Msg.Status.INTERRUPTED:
        status = Msg.Status.INTERRUPTED
    question_status = Msg.Status.FAILED if status == Msg.Status.FAILED else Msg.Status.DONE
    _change(numbering, question, status=question_status)
    cost = usage_cost(model_name=model, input_tokens=input_tokens, output_tokens=output_tokens)
    _change(
        numbering,
        answer,
        status=status,
        body=body,
        error=error,
        model=model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost=cost,
    )
    if response_id is not None and status == Msg.Status.DONE:
        numbering.save(last_response_id=response_id)
    else:
        numbering.save()
    return answer


def answer_release(*, conversation_id: int, owner: str) -> None:
    Conversation.objects.filter(pk=conversation_id, answer_owner=owner).update(
        answer_owner="", answer_lease_until=None
    )


def conversations_waiting(*, limit: int = 200) -> list[int]:
    """Conversations with a message not answered and no live claim (a lost wake-up, a dead
    worker)."""
    now = timezone.now()
    ids = (
        Msg.objects.filter(status__in=UNANSWERED)
        .exclude(role=Msg.Role.ASSISTANT)
        .exclude(conversation__answer_lease_until__gt=now)
        .values_list("conversation_id", flat=True)
        .distinct()
    )
    return list(ids[:limit])


def delegation_add(*, conversation_id: int, task: Task, message_id: int | None) -> bool:
    """Records that the conversation delegated ``task`` (a card in it). False if it already
    had it."""
    _, created = ConversationTask.objects.get_or_create(
        conversation_id=conversation_id, task=task, defaults={"message_id": message_id}
    )
    if not created and message_id is not None:
        ConversationTask.objects.filter(conversation_id=conversation_id, task=task).update(
            message_id=message_id
        )
    return created


@transaction.atomic
def notice_add(*, task_id: int, body: str) -> list[Msg]:
    """A delegated task ended or needs an approval: a notice in each conversation that
    delegated it, queued for the copilot to sum up, and the badge counts it."""
    notices = []
    for conversation_id, user_id in ConversationTask.objects.filter(task_id=task_id).values_list(
        "conversation_id", "conversation__user_id"
    ):
        numbering = Numbering(conversation_id)
        notices.append(
            _add(
                numbering,
                role=Msg.Role.NOTICE,
                status=Msg.Status.QUEUED,
                body=body,
                task_id=task_id,
            )
        )
        numbering.save(unseen_notices=F("unseen_notices") + 1)
        unseen_changed_on_commit(user_id=user_id)
        copilot_wake_on_commit(conversation_id)
    return notices
