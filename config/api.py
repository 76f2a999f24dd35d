"""The JSON API (django-ninja); OpenAPI schema at /api/openapi.json, docs at /api/docs.

Every endpoint needs active staff: an API token (``Authorization: Bearer adk_...``, made with
``manage.py create_api_token``) or the portal session (plus CSRF for unsafe methods). Errors
share one shape (``tasks.api.errors``)."""

from __future__ import annotations

from ninja import NinjaAPI

from tasks.api.auth import api_auth
from tasks.api.conversations import router as conversations_router
from tasks.api.customers import router as customers_router
from tasks.api.errors import install_error_handlers
from tasks.api.tasks import router as tasks_router
from tasks.api.tickets import router as tickets_router

api = NinjaAPI(
    title="AgentDesk API",
    version="1",
    description="Tickets, customers, orders and agent tasks of AgentDesk. Authenticate with "
    "`Authorization: Bearer <token>` (create one with `manage.py create_api_token <username>`) "
    "or a staff session; only active staff users are allowed.",
    openapi_url="/openapi.json",
    docs_url="/docs",
    auth=api_auth,
)
# Endpoints name their body argument ``payload``; error locations leave it out.
install_error_handlers(api, body_params=frozenset({"payload"}))
api.add_router("/tickets", tickets_router)
api.add_router("/tasks", tasks_router)
api.add_router("/conversations", conversations_router)
api.add_router("/", customers_router)
