"""``manage.py create_api_token <username> [--name NAME]``: prints a new API key once."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tasks.services.api_tokens import api_token_create
from tools_app.errors import ApplicationError

USER_NOT_FOUND = "No user named {username!r}."
NOT_STAFF_WARNING = (
    "Warning: {username} is not active staff; the API will answer 403 until they are."
)
KEY_NOTICE = (
    'Created API token "{name}" for {username} (prefix {prefix}). '
    "Store the key now: it cannot be shown again."
)


class Command(BaseCommand):
    help = "Create an API token for a user and print its key (shown only once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="default", help="A label to tell tokens apart.")

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"]
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(USER_NOT_FOUND.format(username=username))
        try:
            token, key = api_token_create(user=user, name=options["name"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        # The key alone on stdout so scripts can capture it; the rest goes to stderr.
        self.stdout.write(key)
        self.stderr.write(
            KEY_NOTICE.format(name=token.name, username=username, prefix=token.prefix)
        )
        if not user.is_staff:
            self.stderr.write(NOT_STAFF_WARNING.format(username=username))
