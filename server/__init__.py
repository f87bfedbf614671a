"""The aiohttp application: configuration, routes, processing, storage, workers."""

from server.plain_tracebacks import refuse_rich_to_structlog

# Before any module of the node imports structlog (see server/plain_tracebacks.py).
refuse_rich_to_structlog()
