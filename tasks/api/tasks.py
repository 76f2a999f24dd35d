"""Task endpoints (built by the runtime work)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["tasks"])
