"""Approval decisions: a person (or the expiry clock) decides a paused tool call, once.

A decision is a conditional ``UPDATE`` of a *pending* request, so two approvers clicking at once,
or one clicking twice, give one decision; the loser hears who decided first and nothing changes.
When the last pending request of a task is decided, the task goes back to the queue (a guarded
``awaiting_approval -> queued`` transition) and a worker is woken after commit: it resumes the
saved run with the decisions applied (``tasks.runtime.resume``)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tasks.event_factories import (
    approval_decided_event,
    task_failed_event,
    task_queued_event,
)
from tasks.events import events_publish_on_commit, events_store
from tasks.models import ApprovalRequest, AutonomyPolicy, Task
from tasks.models.approvals import MAX_REPLY, REFUND_TOOL, REPLY_TOOL
from tasks.services.approval_actions import Action
from tasks.services.task_start import task_wake_on_commit
from tools_app.errors import ApplicationError

DECIDE_PERMISSION = "tasks.decide_approvalrequest"
MAX_NOTE = 2_000

APPROVAL_NOT_FOUND = "No approval request with that id."
APPROVAL_FORBIDDEN = "Only approvers can approve or reject agent actions."
APPROVAL_ALREADY_DECIDED = "This request was already decided by {by} at {at} ({status})."
APPROVAL_NOTE_TOO_LONG = "A note is limited to 2,000 characters."
# Reply drafts can be edited before they are approved; nothing else can.
EDITABLE_TOOL = REPLY_TOOL
APPROVAL_NOT_EDITABLE = "Only a reply draft can be edited; approve or reject this request as asked."
APPROVAL_EDIT_EMPTY = "The edited reply is empty: write the reply or reject the draft."
APPROVAL_EDIT_TOO_LONG = f"A reply is limited to {MAX_REPLY:,} characters."
APPROVAL_EXPIRED = (
    "This request expired at {at} without a decision; it can no longer be approved. The agent"
    " was told, and the task goes on without it."
)
APPROVAL_OWN_TASK = (
    "You started this task, so another approver must decide its requests (four-eyes rule)."
)
STRANDED_REQUEUED = "The task was waiting with no pending approval; its run resumes."
STRANDED_FAILED = (
    "The task was waiting for approval, but nothing was pending and no paused run was saved;"
    " nothing it asked for was done. Retry starts the investigation again."
)
# The note of a request nobody decided in time (APPROVAL_EXPIRY_HOURS); it counts as rejected.
EXPIRED_NOTE = "expired"
SYSTEM_DECIDER = "the system"
RESUME_REASON = "Every approval was decided; the run resumes."

# What the model is told when a call is not approved (the offline model reads any non-JSON
# result of issue_refund as a rejection and quotes the text).
ACTION_LABELS = {REFUND_TOOL: "Refund", REPLY_TOOL: "Reply"}
REJECTED_MESSAGE = "{action} rejected by {by}: {note}"
REJECTED_NO_NOTE = "{action} rejected by {by} (no note given)."
EXPIRED_MESSAGE = (
    "{action} rejected: the approval request expired without a decision. Do not retry it; tell"
    " the customer a person will follow up."
)

User = AbstractBaseUser | AnonymousUser


def user_can_decide(user: User | None) -> bool:
    """Approvers (and superusers): active users holding ``tasks.decide_approvalrequest``. The
    agent acts without a user and can never decide."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    has_perm = getattr(user, "has_perm", None)
    return bool(has_perm is not None and has_perm(DECIDE_PERMISSION))


def user_started_task(user: User | None, approval: ApprovalRequest) -> bool:
    """Whether four-eyes forbids ``user`` deciding ``approval`` (they started its task)."""
    if not settings.APPROVAL_FOUR_EYES or user is None or not user.is_authenticated:
        return False
    created_by = (
        Task.objects.filter(pk=approval.task_id).values_list("created_by_id", flat=True).first()
    )
    return created_by is not None and created_by == user.pk


def user_may_decide(user: User | None, approval: ApprovalRequest) -> bool:
    """Whether ``user`` may decide this request: an approver who did not start its task."""
    return user_can_decide(user) and not user_started_task(user, approval)


def decider_name(approval: ApprovalRequest) -> str:
    user = approval.decided_by
    if user is not None:
        return user.get_username()
    if approval.decided_by_policy_id is not None:
        return policy_decider(approval.decided_by_policy, approval.policy_version)
    return SYSTEM_DECIDER


def policy_decider(policy: AutonomyPolicy | None, version: int | None) -> str:
    name = policy.name if policy is not None else "a deleted policy"
    return f"autonomy policy \u201c{name}\u201d v{version or '?'}"


def _when(value: datetime | None) -> str:
    if value is None:
        return "an unknown time"
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S %Z")


def approval_already_decided_message(approval: ApprovalRequest) -> str:
    return APPROVAL_ALREADY_DECIDED.format(
        by=decider_name(approval),
        at=_when(approval.decided_at),
        status=approval.get_status_display().lower(),
    )


def approval_rejection_message(approval: ApprovalRequest) -> str:
    """The tool result the model gets for a call that was not approved: the approver's note."""
    action = ACTION_LABELS.get(approval.tool_name, f"The {approval.tool_name} call")
    if approval.status == ApprovalRequest.Status.EXPIRED:
        return EXPIRED_MESSAGE.format(action=action)
    note = " ".join(approval.note.split())
    template = REJECTED_MESSAGE if note else REJECTED_NO_NOTE
    return template.format(action=action, by=decider_name(approval), note=note)


def approval_decide(
    *,
    approval_id: int,
    user: User | None,
    approve: bool,
    note: str = "",
    edited_body: str | None = None,
) -> ApprovalRequest:
    """Approves or rejects one pending request as ``user`` (an approver), recording who, when
    and the note, and stores ``approval.decided``. Single-use: a request that is no longer
    pending raises ``ApplicationError`` naming who decided it, and changes nothing. The last
    decision of a task queues it to resume.

    ``edited_body``: a reply draft's text as the approver changed it (sent instead of the
    draft; ignored when it equals the draft or on a rejection)."""
    if not user_can_decide(user):
        raise ApplicationError(APPROVAL_FORBIDDEN, {"field": "user"})
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ApplicationError(APPROVAL_NOTE_TOO_LONG, {"field": "note"})
    current = ApprovalRequest.objects.filter(pk=approval_id).first()
    if current is None:
        raise ApplicationError(APPROVAL_NOT_FOUND, {"field": "approval", "value": approval_id})
    if current.status == ApprovalRequest.Status.PENDING:
        if user_started_task(user, current):
            raise ApplicationError(APPROVAL_OWN_TASK, {"field": "user"})
        now = timezone.now()
        if current.expires_at is not None and current.expires_at <= now:
            # Past its time: it expires now, whatever the click said (the agent is told).
            _expire(approval_id, now=now)
            raise ApplicationError(
                APPROVAL_EXPIRED.format(at=_when(current.expires_at)),
                {"field": "approval", "status": ApprovalRequest.Status.EXPIRED},
            )
    status = ApprovalRequest.Status.APPROVED if approve else ApprovalRequest.Status.REJECTED
    edited = _edited(current, edited_body) if approve else None
    return _decide(approval_id=approval_id, status=status, user=user, note=note, edited=edited)


def _edited(approval: ApprovalRequest, body: str | None) -> dict[str, str] | None:
    """The approved arguments of an edited reply draft (None: sent as drafted)."""
    if body is None:
        return None
    if approval.tool_name != EDITABLE_TOOL:
        raise ApplicationError(APPROVAL_NOT_EDITABLE, {"field": "body"})
    body = body.replace("\r\n", "\n")
    drafted = (approval.arguments or {}).get("body") if isinstance(approval.arguments, dict) else ""
    if body.strip() == str(drafted or "").strip():
        return None
    if not body.strip():
        raise ApplicationError(APPROVAL_EDIT_EMPTY, {"field": "body"})
    if len(body) > MAX_REPLY:
        raise ApplicationError(APPROVAL_EDIT_TOO_LONG, {"field": "body"})
    return {"body": body}


def approval_approved_for(action: Action, call_id: str) -> ApprovalRequest | None:
    """The approved request for exactly this action (tool, canonical arguments, task, run) of
    this call, if any: what execution of a paused call is bound to."""
    return (
        ApprovalRequest.objects.filter(
            task_id=action.task_id,
            run_number=action.run_number,
            call_id=call_id,
            digest=action.digest,
            status=ApprovalRequest.Status.APPROVED,
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def approval_decide_by_policy(
    *, approval_id: int, policy: AutonomyPolicy, note: str
) -> ApprovalRequest:
    """Approves one pending request by an autonomy policy (tasks.services.autonomy decides
    which): recorded with the policy and its version, single-use like a person's decision."""
    return _decide(
        approval_id=approval_id,
        status=ApprovalRequest.Status.APPROVED,
        user=None,
        note=note,
        policy=policy,
    )


def approval_sweep_stranded(*, now: datetime | None = None) -> list[int]:
    """Enforces "a task awaiting approval has a pending request": a task without one goes
    back to the queue (its saved run resumes with the decisions made) or, with no saved run,
    fails with a reason. Returns the ids it moved."""
    now = now or timezone.now()
    stranded = list(
        Task.objects.filter(status=Task.Status.AWAITING_APPROVAL)
        .exclude(approvals__status=ApprovalRequest.Status.PENDING)
        .values_list("pk", flat=True)
    )
    moved = []
    for task_id in stranded:
        with transaction.atomic():
            Task.objects.select_for_update().filter(pk=task_id).values_list("pk").first()
            if ApprovalRequest.objects.filter(
                task_id=task_id, status=ApprovalRequest.Status.PENDING
            ).exists():
                continue
            has_state = Task.objects.filter(pk=task_id).exclude(run_state="").exists()
            if has_state and _queue_if_all_decided(task_id=task_id, now=now):
                event = task_queued_event(reason=STRANDED_REQUEUED)
                task_wake_on_commit(task_id)
            elif not has_state and Task.objects.filter(
                pk=task_id, status=Task.Status.AWAITING_APPROVAL
            ).update(
                status=Task.Status.FAILED,
                outcome=Task.Outcome.FAILED,
                error=STRANDED_FAILED,
                finished_at=now,
            ):
                event = task_failed_event(error=STRANDED_FAILED)
            else:
                continue
            events_publish_on_commit(events_store(task_id=task_id, events=[event]))
            moved.append(task_id)
    return moved


def approval_expire_due(*, now: datetime | None = None) -> list[int]:
    """Expires pending requests past their ``expires_at`` (set from APPROVAL_EXPIRY_HOURS when
    the run paused). An expired request counts as a rejection with the note "expired", so the
    run resumes and the agent tells the customer. Returns the ids that expired."""
    now = now or timezone.now()
    due = list(
        ApprovalRequest.objects.filter(
            status=ApprovalRequest.Status.PENDING, expires_at__lt=now
        ).values_list("pk", flat=True)
    )
    return [approval_id for approval_id in due if _expire(approval_id, now=now)]


def _expire(approval_id: int, *, now: datetime) -> bool:
    """Expires a pending request (a rejection with the note "expired"); False if someone
    decided it in the meantime."""
    try:
        _decide(
            approval_id=approval_id,
            status=ApprovalRequest.Status.EXPIRED,
            user=None,
            note=EXPIRED_NOTE,
            now=now,
        )
    except ApplicationError:
        return False
    return True


@transaction.atomic
def _decide(
    *,
    approval_id: int,
    status: str,
    user: User | None,
    note: str,
    now: datetime | None = None,
    policy: AutonomyPolicy | None = None,
    edited: dict[str, str] | None = None,
) -> ApprovalRequest:
    task_id = (
        ApprovalRequest.objects.filter(pk=approval_id).values_list("task_id", flat=True).first()
    )
    if task_id is None:
        raise ApplicationError(APPROVAL_NOT_FOUND, {"field": "approval", "value": approval_id})
    # Decisions on one task queue up behind this lock, so whichever is last sees every other
    # one committed and resumes the run exactly once (PostgreSQL; SQLite's IMMEDIATE
    # transactions serialise writers anyway).
    Task.objects.select_for_update().filter(pk=task_id).values_list("pk", flat=True).first()
    now = now or timezone.now()
    decided_by = user if user is not None and user.is_authenticated else None
    open_requests = ApprovalRequest.objects.filter(
        pk=approval_id, status=ApprovalRequest.Status.PENDING
    )
    if decided_by is not None:
        # A person decides only before the request's expiry (the sweep may not have run yet).
        open_requests = open_requests.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    extra: dict[str, object] = {}
    if policy is not None:
        extra = {"decided_by_policy": policy, "policy_version": policy.version}
    if edited is not None:
        extra["approved_arguments"] = edited
    won = open_requests.update(
        status=status, decided_by=decided_by, decided_at=now, note=note, **extra
    )
    approval = ApprovalRequest.objects.select_related("decided_by", "decided_by_policy").get(
        pk=approval_id
    )
    if not won:
        raise ApplicationError(
            approval_already_decided_message(approval),
            {"field": "approval", "status": approval.status},
        )
    events = [
        approval_decided_event(
            approval,
            decided_by=(
                decided_by.get_username()
                if decided_by is not None
                else policy_decider(policy, policy.version)
                if policy is not None
                else None
            ),
            note=note,
        )
    ]
    resumes = _queue_if_all_decided(task_id=task_id, now=now)
    if resumes:
        events.append(task_queued_event(reason=RESUME_REASON))
    events_publish_on_commit(events_store(task_id=task_id, events=events))
    if resumes:
        task_wake_on_commit(task_id)
    return approval


def _queue_if_all_decided(*, task_id: int, now: datetime) -> bool:
    """awaiting_approval -> queued once no request of the task is pending (guarded: only the
    last decision moves it, and only from awaiting_approval)."""
    if ApprovalRequest.objects.filter(
        task_id=task_id, status=ApprovalRequest.Status.PENDING
    ).exists():
        return False
    # attempts restart: the stale-worker limit counts claims of one run, not of its resumes.
    return bool(
        Task.objects.filter(pk=task_id, status=Task.Status.AWAITING_APPROVAL).update(
            status=Task.Status.QUEUED,
            attempts=0,
            lease_owner="",
            lease_expires_at=None,
            updated_at=now,
        )
    )
