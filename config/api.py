"""The JSON API (django-ninja); OpenAPI schema at /api/openapi.json."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(title="AgentDesk API", version="1", openapi_url="/openapi.json", docs_url="/docs")
