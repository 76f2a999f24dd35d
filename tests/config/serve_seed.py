"""The database of the server-start test: ``python -m tests.config.serve_seed <dead pid>``.

The browser seed plus the state a stopped server leaves behind: a task it was running (its
lease owner a process of this machine that is gone) and a task still queued."""

from __future__ import annotations

import socket
import sys
from datetime import timedelta


def main() -> None:
    from tests.browser.seed import main as seed_main

    seed_main()
    from django.utils import timezone

    from tasks.models import Task, Ticket
    from tasks.services.task_start import task_start_for_ticket
    from tests.browser.seed import BILLING_TICKET, HOWTO_TICKET
    from tests.factories import make_user

    user = make_user(username="serve-staff")
    running, _ = task_start_for_ticket(ticket=Ticket.objects.get(number=HOWTO_TICKET), user=user)
    Task.objects.filter(pk=running.pk).update(
        status=Task.Status.RUNNING,
        attempts=1,
        lease_owner=f"{socket.gethostname()}:{int(sys.argv[1])}:gone00",
        # Far from expiring: only the dead owner tells it was left behind.
        lease_expires_at=timezone.now() + timedelta(hours=1),
    )
    task_start_for_ticket(ticket=Ticket.objects.get(number=BILLING_TICKET), user=user)


if __name__ == "__main__":
    main()
