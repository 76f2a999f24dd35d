"""Test settings: the embedded default with no waiting and a fast password hasher."""

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
OFFLINE_MODEL_DELAY = 0.0
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
# Serve static files straight from the app directories (browser tests run daphne on these
# settings without a collectstatic step).
WHITENOISE_USE_FINDERS = True
# Scripted-model tests drive one agent with every tool; the specialist tests switch them on, and
# the browser tests' server runs with them as the demo does (AGENTDESK_SPECIALISTS=1).
AGENT_SPECIALISTS = env_bool("AGENTDESK_SPECIALISTS", False)  # noqa: F405
# Every run reads the tool switches (a test switching one expects the next run to see it).
TOOL_SWITCHES_SECONDS = 0.0
