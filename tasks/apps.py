from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Support work"

    def ready(self) -> None:
        # Live publishing listens to the domain's events (storing one never sends anything).
        from tasks.events import event_listener_add
        from tasks.live.publisher import live_publisher

        event_listener_add(live_publisher)
