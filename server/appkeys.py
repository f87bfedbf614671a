"""Typed keys of what the application holds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from server.config import Settings
from server.live import LiveHub
from server.outage import DatabaseOutage
from server.services import NodeServices
from server.urls import NodeUrls

if TYPE_CHECKING:
    from server.metrics.registry import NodeMetrics

SETTINGS = web.AppKey("settings", Settings)
URLS = web.AppKey("urls", NodeUrls)
SERVICES = web.AppKey("services", NodeServices)
LIVE = web.AppKey("live", LiveHub)
# How long the database has been unreachable: the Retry-After of the 503s grows with it.
OUTAGE = web.AppKey("database_outage", DatabaseOutage)
# Only with a metrics_token: without one nobody may read them, and prometheus-client is not loaded.
METRICS: web.AppKey[NodeMetrics] = web.AppKey("metrics")
