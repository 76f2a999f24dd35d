from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from tasks.copilot_selectors import unseen_notices


def agentdesk(request: HttpRequest) -> dict[str, Any]:
    """Names the model agents run on, so the UI can say when it is the offline model, and
    counts the copilot's task updates the user has not seen (the badge on the Copilot link)."""
    online = bool(settings.OPENAI_API_KEY or settings.OPENAI_BASE_URL)
    user = getattr(request, "user", None)
    staff = user is not None and user.is_authenticated and user.is_staff
    user_id = user.pk if staff and user is not None else None
    return {
        "agent_model_name": settings.TASK_MODEL if online else settings.OFFLINE_MODEL_NAME,
        "agent_model_offline": not online,
        "chat_model_name": settings.CHAT_MODEL if online else settings.OFFLINE_CHAT_MODEL_NAME,
        # Counted only when a page shows it (a callable is resolved by the template).
        "copilot_unseen": (lambda: unseen_notices(user_id=user_id)) if user_id else 0,
    }
