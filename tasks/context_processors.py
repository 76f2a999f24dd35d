from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def agentdesk(request: HttpRequest) -> dict[str, Any]:
    """Names the model agents run on, so the UI can say when it is the offline model."""
    online = bool(settings.OPENAI_API_KEY or settings.OPENAI_BASE_URL)
    return {
        "agent_model_name": settings.TASK_MODEL if online else settings.OFFLINE_MODEL_NAME,
        "agent_model_offline": not online,
    }
