from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config.api import api

admin.site.site_header = "AgentDesk administration"
admin.site.site_title = "AgentDesk admin"
admin.site.index_title = "Support data, tasks and approvals"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("tasks.urls")),
]
