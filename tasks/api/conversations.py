"""Copilot conversation endpoints: create, list, read (with messages), rename, delete, post a
message. Posting returns at once with the message id; the answer streams over
``ws/copilot/<id>/`` and can then be read here. Each user sees only their own conversations
(anyone else's is a 404)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, P, PathEx, Router, Schema, Status

from tasks.api.auth import api_user
from tasks.api.common import ERROR_SHAPES, MAX_ID, MAX_INT32, SafeStr, error_responses, not_found
from tasks.copilot_selectors import conversation_for_user, conversation_list
from tasks.models import Conversation
from tasks.presentation.copilot import conversation_view
from tasks.services.conversations import (
    MAX_TITLE,
    conversation_create,
    conversation_delete,
    conversation_rename,
    message_post,
    message_retry,
)

router = Router(tags=["copilot"])

ConversationId = PathEx[int, P(ge=1, le=MAX_ID, description="The conversation id.")]


class ConversationIn(Schema):
    title: SafeStr = Field("", max_length=MAX_TITLE)


class RenameIn(Schema):
    title: SafeStr = Field(min_length=1, max_length=MAX_TITLE)


class PageContext(Schema):
    ticket_number: int | None = Field(None, ge=1, le=MAX_INT32)
    filter: SafeStr | None = Field(None, max_length=200)


class MessageIn(Schema):
    text: SafeStr = Field(
        min_length=1,
        max_length=settings.COPILOT_MAX_MESSAGE_CHARS,
        description="The staff member's message.",
    )
    interrupt: bool = Field(
        False,
        description="Stop the answer in progress and answer this message next. By default "
        "a message sent while the copilot answers waits its turn.",
    )
    context: PageContext | None = Field(None, description="The page the message is sent from.")


class RetryIn(Schema):
    message_id: int = Field(ge=1, le=MAX_ID)


class ConversationOut(Schema):
    id: int
    title: str
    last_seq: int
    unseen_notices: int
    created_at: datetime
    updated_at: datetime


class CardOut(Schema):
    task_id: int
    title: str
    status: str
    todos_done: int
    todos_total: int
    step: str
    url: str


class UsageOut(Schema):
    input_tokens: int
    output_tokens: int
    cost: str = Field(description="USD, as a decimal string (0 for an unknown model).")


class MessageOut(Schema):
    id: int
    seq: int
    role: str
    status: str
    body: str
    error: str
    task_id: int | None
    created_at: datetime
    cards: list[CardOut]
    retry: bool
    model: str = Field(description="The model that wrote an answer.")
    usage: UsageOut


class ConversationDetailOut(ConversationOut):
    messages: list[MessageOut]


class PostedOut(Schema):
    message_id: int
    conversation_id: int


def _own(request: HttpRequest, conversation_id: int) -> Conversation:
    conversation = conversation_for_user(
        user_id=api_user(request).pk, conversation_id=conversation_id
    )
    if conversation is None:
        raise not_found("conversation", conversation_id)
    return conversation


def _detail(conversation: Conversation) -> dict[str, Any]:
    view = conversation_view(conversation_id=conversation.pk)
    conversation.refresh_from_db()
    return {**ConversationOut.from_orm(conversation).dict(), "messages": view.messages}


@router.post(
    "",
    response={201: ConversationOut, **error_responses(400, 401, 403)},
    operation_id="createConversation",
    summary="Start a copilot conversation",
    description="An empty conversation of the calling user (the first message names it when "
    "no title is given).\n" + ERROR_SHAPES,
)
def conversation_create_endpoint(
    request: HttpRequest, payload: ConversationIn
) -> Status[Conversation]:
    return Status(201, conversation_create(user=api_user(request), title=payload.title))


@router.get(
    "",
    response={200: list[ConversationOut], **error_responses(401, 403)},
    operation_id="listConversations",
    summary="List your copilot conversations",
    description="Newest activity first.\n" + ERROR_SHAPES,
)
def conversation_list_endpoint(request: HttpRequest) -> list[Conversation]:
    return conversation_list(user_id=api_user(request).pk)


@router.get(
    "/{conversation_id}",
    response={200: ConversationDetailOut, **error_responses(400, 401, 403, 404)},
    operation_id="getConversation",
    summary="Get a conversation with its messages",
    description="Messages in the order of their latest change (`seq`), each with the cards "
    "of the tasks its answer delegated.\n" + ERROR_SHAPES,
)
def conversation_detail_endpoint(
    request: HttpRequest, conversation_id: ConversationId
) -> dict[str, Any]:
    return _detail(_own(request, conversation_id))


@router.patch(
    "/{conversation_id}",
    response={200: ConversationOut, **error_responses(400, 401, 403, 404)},
    operation_id="renameConversation",
    summary="Rename a conversation",
    description=ERROR_SHAPES,
)
def conversation_rename_endpoint(
    request: HttpRequest, conversation_id: ConversationId, payload: RenameIn
) -> Conversation:
    return conversation_rename(conversation=_own(request, conversation_id), title=payload.title)


@router.delete(
    "/{conversation_id}",
    response={204: None, **error_responses(400, 401, 403, 404)},
    operation_id="deleteConversation",
    summary="Delete a conversation",
    description="Its messages go with it; tasks it delegated keep running.\n" + ERROR_SHAPES,
)
def conversation_delete_endpoint(
    request: HttpRequest, conversation_id: ConversationId
) -> Status[None]:
    conversation_delete(conversation=_own(request, conversation_id))
    return Status(204, None)


@router.post(
    "/{conversation_id}/messages",
    response={202: PostedOut, **error_responses(400, 401, 403, 404)},
    operation_id="postConversationMessage",
    summary="Send a message to the copilot",
    description="Stores the message and returns at once (202) with its id. The answer "
    "streams over `ws/copilot/<id>/` and can then be read with getConversation. An empty or "
    "oversized message is refused (400).\n" + ERROR_SHAPES,
)
def message_post_endpoint(
    request: HttpRequest, conversation_id: ConversationId, payload: MessageIn
) -> Status[dict[str, int]]:
    conversation = _own(request, conversation_id)
    context = payload.context.dict(exclude_none=True) if payload.context else {}
    message = message_post(
        conversation=conversation,
        text=payload.text,
        interrupt=payload.interrupt,
        context=context,
    )
    return Status(202, {"message_id": message.pk, "conversation_id": conversation.pk})


@router.post(
    "/{conversation_id}/retry",
    response={202: PostedOut, **error_responses(400, 401, 403, 404)},
    operation_id="retryConversationMessage",
    summary="Ask again a message whose answer failed",
    description=ERROR_SHAPES,
)
def message_retry_endpoint(
    request: HttpRequest, conversation_id: ConversationId, payload: RetryIn
) -> Status[dict[str, int]]:
    conversation = _own(request, conversation_id)
    message = message_retry(conversation=conversation, message_id=payload.message_id)
    return Status(202, {"message_id": message.pk, "conversation_id": conversation.pk})
