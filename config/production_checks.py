"""What the production profile (``config.settings_production``) refuses to start without."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

SECRET_KEY_REQUIRED = (
    "DJANGO_SECRET_KEY must be set to a random string of at least 50 characters in production "
    '(e.g. python -c "import secrets; print(secrets.token_urlsafe(50))").'
)
ALLOWED_HOSTS_REQUIRED = (
    "DJANGO_ALLOWED_HOSTS must list the host names this site is served under in production."
)
MIN_SECRET_KEY_LENGTH = 50
MIN_SECRET_KEY_CHARACTERS = 5


def production_env_check(*, secret_key: str, allowed_hosts: str) -> None:
    """Raises ``ImproperlyConfigured`` for a missing or weak secret key (Django's own
    ``check --deploy`` threshold) or a missing host list."""
    if len(secret_key) < MIN_SECRET_KEY_LENGTH or len(set(secret_key)) < MIN_SECRET_KEY_CHARACTERS:
        raise ImproperlyConfigured(SECRET_KEY_REQUIRED)
    if not allowed_hosts.strip():
        # The development default (loopback names) would make a public server answer nothing.
        raise ImproperlyConfigured(ALLOWED_HOSTS_REQUIRED)
