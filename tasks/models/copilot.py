"""The copilot's conversations: a staff member's chats, their messages, and the tasks a
conversation delegated (shown in it as live cards; their outcome comes back as a notice)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models


class Conversation(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations"
    )
    title = models.CharField(max_length=200, blank=True)
    # Every new or changed message takes the next number: a socket that reconnects asks for
    # what changed after the last number it saw.
    last_seq = models.PositiveIntegerField(default=0)
    # The chat model's last response, for ``previous_response_id`` on the Responses API.
    last_response_id = models.CharField(max_length=200, blank=True)
    # Who is answering now (a worker's name) and until when that claim holds.
    answer_owner = models.CharField(max_length=200, blank=True)
    answer_lease_until = models.DateTimeField(null=True, blank=True)
    # Notices (a delegated task finished) not seen yet: the badge on the Copilot link.
    unseen_notices = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["user", "-updated_at"])]

    def __str__(self) -> str:
        return self.title or f"Conversation {self.pk}"


class ConversationMessage(models.Model):
    class Role(models.TextChoices):
        USER = "user", "Staff"
        ASSISTANT = "assistant", "Copilot"
        NOTICE = "notice", "Task update"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for an answer"  # a user message or notice not answered yet
        ANSWERING = "answering", "Being answered"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"  # the chat model failed; Retry queues the question again
        INTERRUPTED = "interrupted", "Interrupted"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    seq = models.PositiveIntegerField()
    role = models.CharField(max_length=20, choices=Role.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DONE)
    body = models.TextField(blank=True)
    # The user message an assistant message answers (and a failed one's Retry re-asks).
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="answers"
    )
    # A notice's task.
    task = models.ForeignKey(
        "tasks.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.TextField(blank=True)
    # An answer's model, tokens and cost (USD, from settings.MODEL_PRICES).
    model = models.CharField(max_length=100, blank=True)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal("0"))
    # The page a staff message was sent from ({"ticket_number": 1004} or {"filter": "..."}).
    context = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="conversation_message_seq")
        ]
        indexes = [models.Index(fields=["conversation", "status"])]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.body[:60]}"


class ConversationTask(models.Model):
    """A task the copilot delegated from a conversation (started, cancelled, retried or
    followed up): a card in the conversation, and a notice when it ends or needs approval."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="delegations"
    )
    task = models.ForeignKey("tasks.Task", on_delete=models.CASCADE, related_name="delegations")
    # The assistant message during whose answer the task was delegated.
    message = models.ForeignKey(
        ConversationMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "task"], name="conversation_task_once")
        ]
