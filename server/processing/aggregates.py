"""The aggregates that take received objects; importing this module registers them all.

Each aggregate module calls `server.processing.objects.register` at import time; add one import
line here per aggregate.
"""

from __future__ import annotations

from server.processing import (
    events,
    open_calls,
    place_profile,
    shared_profiles,
    trust_subscriptions,
)

AGGREGATE_MODULES: tuple[str, ...] = (
    events.__name__,
    shared_profiles.__name__,
    open_calls.__name__,
    place_profile.__name__,
    trust_subscriptions.__name__,
)
