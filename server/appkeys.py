"""Typed keys of what the application holds."""

from __future__ import annotations

import asyncpg
from aiohttp import web

from server.config import Settings
from server.urls import NodeUrls

SETTINGS = web.AppKey("settings", Settings)
POOL = web.AppKey("pool", asyncpg.Pool)
URLS = web.AppKey("urls", NodeUrls)
