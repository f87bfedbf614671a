"""The OpenAPI 3.1 description of the REST API, generated from the declared routes."""

from __future__ import annotations

from importlib.metadata import version

from aiohttp import web

from server.routes import stream
from server.routes.api_registry import API, openapi_document


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/api/openapi.json", openapi)


async def openapi(request: web.Request) -> web.Response:
    document = openapi_document(API.routes, version("maillage"))
    document["paths"]["/api/v1/stream"] = stream.openapi_operation()
    return web.json_response(document)
