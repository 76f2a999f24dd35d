from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from tasks.services.groups import (
    APPROVER_PERMISSIONS,
    APPROVERS_GROUP,
    SUPPORT_GROUP,
    approvers_group_ensure,
    group_ensure,
    support_group_ensure,
)
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _perms(group) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}


def test_approvers_group_lets_its_members_decide_approvals():
    group = approvers_group_ensure()
    user = make_user()
    user.groups.add(group)

    assert group.name == APPROVERS_GROUP
    assert _perms(group) == set(APPROVER_PERMISSIONS)
    assert user.has_perm("tasks.decide_approvalrequest")
    assert user.has_perm("tasks.change_approvalrequest")


def test_group_ensure_is_idempotent_and_keeps_extra_permissions():
    group = approvers_group_ensure()
    extra = Permission.objects.get(codename="view_ticket")
    group.permissions.add(extra)

    again = approvers_group_ensure()

    assert again.pk == group.pk
    assert _perms(again) == {*APPROVER_PERMISSIONS, "tasks.view_ticket"}


def test_support_group_reads_tickets_but_cannot_decide():
    user = make_user()
    user.groups.add(support_group_ensure())

    assert user.groups.get().name == SUPPORT_GROUP
    assert user.has_perm("tasks.view_ticket")
    assert user.has_perm("tools_app.view_order")
    assert not user.has_perm("tasks.decide_approvalrequest")


def test_group_ensure_recreates_missing_permissions():
    Permission.objects.filter(codename="decide_approvalrequest").delete()

    group = approvers_group_ensure()

    assert "tasks.decide_approvalrequest" in _perms(group)


def test_group_ensure_rejects_unknown_permissions():
    with pytest.raises(LookupError, match=r"tasks\.fly_to_the_moon"):
        group_ensure(name="Dreamers", permissions=["tasks.fly_to_the_moon"])
