"""``manage.py expire_approvals``: expires approval requests nobody decided in time.

Workers do this in their periodic sweep; the command is for deployments that prefer cron. An
expired request counts as a rejection (note "expired"): its task is queued to resume and the
agent tells the customer."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from tasks.services.approvals import approval_expire_due

EXPIRED_SUMMARY = "Expired {count} approval request(s) older than {hours} hours."


class Command(BaseCommand):
    help = "Expire pending approval requests past AGENTDESK_APPROVAL_EXPIRY_HOURS."

    def handle(self, *args: Any, **options: Any) -> None:
        expired = approval_expire_due()
        self.stdout.write(
            EXPIRED_SUMMARY.format(count=len(expired), hours=settings.APPROVAL_EXPIRY_HOURS)
        )
