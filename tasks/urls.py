from __future__ import annotations

from django.urls import path

from tasks.views import copilot, dashboard, evals, insights, portal, task_actions

app_name = "tasks"

urlpatterns = [
    # Portal (tickets)
    path("", portal.backlog, name="backlog"),
    path("tickets/<int:number>/", portal.ticket_detail, name="ticket_detail"),
    path("tickets/<int:number>/reply/", portal.ticket_reply, name="ticket_reply"),
    path("tickets/<int:number>/note/", portal.ticket_note, name="ticket_note"),
    path("tickets/<int:number>/status/", portal.ticket_status, name="ticket_status"),
    path("tickets/<int:number>/assign/", portal.ticket_assign, name="ticket_assign"),
    # Team dashboard (live)
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    # Insights for team leads (figures and charts over a date range)
    path("insights/", insights.insights_page, name="insights"),
    # Evaluation runs (manage.py eval): pass rates, failed end states, two runs side by side
    path("evals/", evals.evals_page, name="evals"),
    path("evals/compare/", evals.eval_compare_page, name="eval_compare"),
    path("evals/<int:run_id>/", evals.eval_run_page, name="eval_run"),
    # Copilot
    path("copilot/", copilot.copilot, name="copilot"),
    path("copilot/panel/", copilot.copilot_panel, name="copilot_panel"),
    path("copilot/new/", copilot.copilot_new, name="copilot_new"),
    path(
        "copilot/<int:conversation_id>/", copilot.copilot_conversation, name="copilot_conversation"
    ),
    path("copilot/<int:conversation_id>/rename/", copilot.copilot_rename, name="copilot_rename"),
    path("copilot/<int:conversation_id>/delete/", copilot.copilot_delete, name="copilot_delete"),
    # Agent tasks
    path("tickets/<int:number>/investigate/", task_actions.task_start, name="task_start"),
    path("tasks/bulk-start/", task_actions.task_bulk_start, name="task_bulk_start"),
    path("tasks/<int:task_id>/", task_actions.task_detail, name="task_detail"),
    path("tasks/<int:task_id>/cancel/", task_actions.task_cancel, name="task_cancel"),
    path("tasks/<int:task_id>/retry/", task_actions.task_retry, name="task_retry"),
    path("tasks/<int:task_id>/follow-up/", task_actions.task_follow_up, name="task_follow_up"),
]
