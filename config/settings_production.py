"""Production profile: ``DJANGO_SETTINGS_MODULE=config.settings_production``.

Everything in ``config.settings`` (read from the environment), hardened so that
``manage.py check --deploy`` is clean: DEBUG off, a real secret key and host list required,
HTTPS only (redirect, secure cookies, HSTS). The scaled layout it is meant for: N daphne
processes behind a TLS-terminating proxy, M ``runworker`` processes, one PostgreSQL
(``DATABASE_URL``) and one Redis (``REDIS_URL``); see the Procfile and README "Scale-out".

Behind a proxy that terminates TLS, set ``DJANGO_SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO``
(only if the proxy always sets or strips that header: Django then trusts it to mean HTTPS)."""

from __future__ import annotations

from config.production_checks import production_env_check
from config.settings import *  # noqa: F403
from config.settings import env_bool, env_int, env_str

DEBUG = False

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
production_env_check(secret_key=SECRET_KEY, allowed_hosts=env_str("DJANGO_ALLOWED_HOSTS"))

# HTTPS only. A proxy that already redirects plain HTTP may turn the redirect off.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
# Probes come over plain HTTP from inside the deployment (a load balancer, an orchestrator).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
_proxy_header = env_str("DJANGO_SECURE_PROXY_SSL_HEADER")
if _proxy_header:
    SECURE_PROXY_SSL_HEADER = (_proxy_header, "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Static files are collected at release time (Procfile) and served by WhiteNoise with hashed,
# compressed names, cached for a year.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
