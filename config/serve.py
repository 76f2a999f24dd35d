"""Serves the ASGI app with daphne and starts the process's background services (the embedded
agent worker, or the re-waking of queued tasks when scaled out) as the server starts.

Daphne does not send ASGI lifespan events, so without this the services would start on the
first HTTP or websocket connection, and tasks left running by a stopped server would wait for
someone to open a page. The arguments are daphne's own:

    python -m config.serve -b 127.0.0.1 -p 8000 config.asgi:application
"""

from __future__ import annotations

from typing import Any, cast

from daphne.cli import CommandLineInterface
from daphne.server import Server


def _start_background_services() -> None:
    # Imported here: the app (imported by daphne before the server runs) has set up Django.
    from tasks.runtime.embedded import start_background_services

    start_background_services()


class StartingServer(Server):
    """Daphne's server, with the background services started once its event loop runs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        then = kwargs.pop("ready_callable", None)

        def ready() -> None:
            from twisted.internet import reactor

            # Called just before the reactor runs: a delayed call lands on the running loop.
            cast(Any, reactor).callLater(0, _start_background_services)
            if then is not None:
                then()

        super().__init__(*args, ready_callable=ready, **kwargs)


class StartingCommandLine(CommandLineInterface):
    server_class = StartingServer


def main() -> None:
    StartingCommandLine.entrypoint()


if __name__ == "__main__":
    main()
