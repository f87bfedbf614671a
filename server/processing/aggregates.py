"""The aggregates that take received objects; importing this module registers them all.

Each aggregate module calls `server.processing.objects.register` at import time; add one import
line here per aggregate.
"""

from __future__ import annotations

AGGREGATE_MODULES: tuple[str, ...] = ()
