from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class ToolsAppConfig(AppConfig):
    name = "tools_app"
    verbose_name = "Business systems"

    def ready(self) -> None:
        from tools_app.models import ToolSetting
        from tools_app.selectors import tools_switched_off_forget

        # A tool switched in this process applies to its next run at once.
        post_save.connect(tools_switched_off_forget, sender=ToolSetting)
        post_delete.connect(tools_switched_off_forget, sender=ToolSetting)
