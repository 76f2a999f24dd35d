"""Settings of the live browser test's server: the test settings, with the offline model paced
(``AGENTDESK_OFFLINE_DELAY`` seconds per turn) so a run lasts long enough to watch and to drop
the socket in the middle of it."""

import os

from config.settings_test import *  # noqa: F403

OFFLINE_MODEL_DELAY = float(os.environ.get("AGENTDESK_OFFLINE_DELAY", "0.3"))
