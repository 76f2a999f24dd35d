"""The admin's rows of the tool registry: one per registered tool, refreshed from the code
(risk, permission, description) after each migrate. Whether a tool is on stays as staff set it;
a tool the code no longer has is kept (its history) and marked unregistered."""

from __future__ import annotations

from django.db import transaction

from tools_app.models import ToolSetting
from tools_app.registry import registered_tools
from tools_app.selectors import tools_switched_off_forget


@transaction.atomic
def tool_settings_sync() -> int:
    """Creates or refreshes a row per registered tool; returns how many rows were created."""
    entries = registered_tools()
    existing = {row.name: row for row in ToolSetting.objects.select_for_update()}
    created = 0
    for entry in entries:
        values = {
            "risk": entry.risk.value,
            "permission": entry.permission,
            "description": entry.summary,
            "required": entry.required,
            "registered": True,
        }
        row = existing.get(entry.name)
        if row is None:
            ToolSetting.objects.create(name=entry.name, enabled=True, **values)
            created += 1
            continue
        if entry.required:
            values["enabled"] = True
        if any(getattr(row, key) != value for key, value in values.items()):
            ToolSetting.objects.filter(pk=row.pk).update(**values)
    names = {entry.name for entry in entries}
    ToolSetting.objects.exclude(name__in=names).update(registered=False)
    tools_switched_off_forget()
    return created
