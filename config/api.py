"""The JSON API (django-ninja); OpenAPI schema at /api/openapi.json."""

from __future__ import annotations

from ninja import NinjaAPI

from tasks.api.tasks import router as tasks_router
from tasks.api.tickets import router as tickets_router
from tools_app.api import router as customers_router

api = NinjaAPI(title="AgentDesk API", version="1", openapi_url="/openapi.json", docs_url="/docs")
api.add_router("/tickets", tickets_router)
api.add_router("/tasks", tasks_router)
api.add_router("/", customers_router)
