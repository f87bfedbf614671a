"""Typed keys of what the application holds."""

from __future__ import annotations

from aiohttp import web

from server.config import Settings
from server.live import LiveHub
from server.metrics.registry import NodeMetrics
from server.outage import DatabaseOutage
from server.services import NodeServices
from server.urls import NodeUrls

SETTINGS = web.AppKey("settings", Settings)
URLS = web.AppKey("urls", NodeUrls)
SERVICES = web.AppKey("services", NodeServices)
LIVE = web.AppKey("live", LiveHub)
# How long the database has been unreachable: the Retry-After of the 503s grows with it.
OUTAGE = web.AppKey("database_outage", DatabaseOutage)
METRICS = web.AppKey("metrics", NodeMetrics)
