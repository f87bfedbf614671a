"""The modules that react to facts about remote actors; importing this module registers them.

Each calls `server.processing.actor_lifecycle.on_actor_gone` or `on_actor_fetched` at import time
for its own reaction; add one import line here per reacting module. The node's services (which
build the actor directory) and the inbox worker import it.
"""

from __future__ import annotations

from server.processing import directory, follow_requests

REACTING_MODULES: tuple[str, ...] = (
    follow_requests.__name__,  # follows with an actor gone end, its imports go
    directory.__name__,  # a fetched place's details are kept
)
