"""The aiohttp application: configuration, routes, processing, storage, workers."""
