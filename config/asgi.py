"""ASGI entry point: HTTP (Django), websockets (consumers) and the agent worker channel."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Populate the app registry before importing anything that touches models.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from tasks.routing import channel_routes, websocket_urlpatterns  # noqa: E402
from tasks.runtime.embedded import BackgroundServicesMiddleware  # noqa: E402

# The wrapper starts the embedded agent worker (or, scaled out, the re-waking of queued tasks)
# on lifespan.startup, or on the first connection under plain daphne (which sends no lifespan
# events); `python -m config.serve` starts them with the server (tasks.runtime.embedded).
application = BackgroundServicesMiddleware(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": AllowedHostsOriginValidator(
                AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
            ),
            "channel": channel_routes(),
        }
    )
)
