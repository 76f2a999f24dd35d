"""Staff groups and their permissions. Idempotent: safe to call from seeds, tests and setup."""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import transaction

APPROVERS_GROUP = "Approvers"
SUPPORT_GROUP = "Support agents"

# Approvers decide agent actions in the admin (the approval page needs view and change).
APPROVER_PERMISSIONS: tuple[str, ...] = (
    "tasks.decide_approvalrequest",
    "tasks.view_approvalrequest",
    "tasks.change_approvalrequest",
)
# Support agents read everything an investigation touches.
SUPPORT_PERMISSIONS: tuple[str, ...] = (
    "tasks.view_ticket",
    "tasks.view_ticketmessage",
    "tasks.view_ticketchange",
    "tasks.view_task",
    "tasks.view_todo",
    "tasks.view_taskevent",
    "tasks.view_approvalrequest",
    "tools_app.view_customer",
    "tools_app.view_order",
    "tools_app.view_refund",
    "tools_app.view_article",
    # Their tasks' agents may refund (within policy, approved by a person) and write
    # knowledge-base documents (tasks.agents.tools.access.task_disabled_tools).
    "tasks.start_refund_work",
    "tools_app.add_article",
)

PERMISSION_UNKNOWN = "Unknown permission: {name}"


def _permissions(names: Iterable[str]) -> list[Permission]:
    names = list(names)
    wanted = {tuple(name.split(".", 1)) for name in names}

    def lookup() -> dict[tuple[str, str], Permission]:
        found = Permission.objects.filter(
            content_type__app_label__in={app for app, _ in wanted},
            codename__in={codename for _, codename in wanted},
        ).select_related("content_type")
        return {(p.content_type.app_label, p.codename): p for p in found}

    by_name = lookup()
    if len(by_name) < len(wanted):
        # Permissions are created after `migrate` finishes; make sure they exist when this runs
        # earlier (inside a migration or on a freshly flushed database).
        for app_label in {app for app, _ in wanted}:
            create_permissions(apps.get_app_config(app_label), verbosity=0)
        by_name = lookup()
    missing = [name for name in names if tuple(name.split(".", 1)) not in by_name]
    if missing:
        raise LookupError(PERMISSION_UNKNOWN.format(name=missing[0]))
    return [by_name[(app, codename)] for app, codename in wanted]


@transaction.atomic
def group_ensure(*, name: str, permissions: Iterable[str]) -> Group:
    """Returns the group ``name`` holding at least ``permissions`` ("app_label.codename"),
    creating it or adding what is missing. Permissions given elsewhere are left alone."""
    group, _ = Group.objects.get_or_create(name=name)
    group.permissions.add(*_permissions(permissions))
    return group


def approvers_group_ensure() -> Group:
    """The "Approvers" group: may approve or reject agent actions in the admin."""
    return group_ensure(name=APPROVERS_GROUP, permissions=APPROVER_PERMISSIONS)


def support_group_ensure() -> Group:
    """The "Support agents" group: read access to tickets, tasks and the business data."""
    return group_ensure(name=SUPPORT_GROUP, permissions=SUPPORT_PERMISSIONS)
