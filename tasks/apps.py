from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Support work"

    def ready(self) -> None:
        # Live publishing listens to the domain's events (storing one never sends anything).
        from tasks.copilot.notices import get_notifier
        from tasks.copilot_events import conversation_listener_add
        from tasks.events import event_listener_add
        from tasks.live.copilot import copilot_publisher
        from tasks.live.publisher import live_publisher

        event_listener_add(live_publisher)
        # Conversations hear of the tasks they delegated; their sockets of their messages.
        event_listener_add(get_notifier())
        conversation_listener_add(copilot_publisher)
        # The admin's rows of the tool registry follow the code after each migrate.
        post_migrate.connect(_sync_tool_settings, sender=self)


def _sync_tool_settings(**kwargs: object) -> None:
    import tasks.agents.tools  # noqa: F401  (registers the agents' tools)
    from tools_app.services.tool_settings import tool_settings_sync

    tool_settings_sync()
