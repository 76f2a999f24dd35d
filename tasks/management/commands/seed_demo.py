"""`manage.py seed_demo`: demo data for `make run` (idempotent) and the demo logins."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tasks.demo.seed import SeedResult, seed_demo

ALREADY_PRESENT = "Demo data already present"
DEFAULT_URL = "http://127.0.0.1:8000/"


def login_box(result: SeedResult, url: str) -> str:
    """The URL and the demo logins in a short ASCII box (any terminal encoding prints it)."""
    user_width = max(len(login.username) for login in result.logins)
    pass_width = max(len(login.password) for login in result.logins)
    lines = [f"AgentDesk demo: {url}", ""]
    lines += [
        f"{login.username:<{user_width}} / {login.password:<{pass_width}}  {login.role}"
        for login in result.logins
    ]
    width = max(len(line) for line in lines)
    rule = "+" + "-" * (width + 2) + "+"
    return "\n".join([rule, *(f"| {line:<{width}} |" for line in lines), rule])


class Command(BaseCommand):
    help = "Seeds demo customers, orders, tickets, knowledge base and logins (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default=DEFAULT_URL, help="URL printed with the logins.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        result = seed_demo()
        counts = (
            f"{result.customers} customers, {result.orders} orders, {result.tickets} tickets "
            f"({result.open_tickets} open), {result.articles} articles"
        )
        if result.created:
            elapsed = time.monotonic() - started
            self.stdout.write(self.style.SUCCESS(f"Seeded demo data: {counts} in {elapsed:.1f}s."))
        else:
            self.stdout.write(f"{ALREADY_PRESENT} ({counts}); nothing changed.")
        self.stdout.write(login_box(result, options["url"]))
