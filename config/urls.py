from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config.api import api
from tasks.views import health, metrics

admin.site.site_header = "AgentDesk administration"
admin.site.site_title = "AgentDesk admin"
admin.site.index_title = "Support data, tasks and approvals"

urlpatterns = [
    # Probes, without login (tasks/views/health.py).
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # Prometheus, by token or allowed address (tasks/views/metrics.py).
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("tasks.urls")),
]
