"""Declaring REST routes once: the handler, its models and roles make both the route and OpenAPI.

A handler is declared with `@api.route("POST", "/api/v1/...", body=Model, response=Model)`; the
registry adds it to the router and describes it in the OpenAPI 3.1 document served at
`/api/openapi.json`, from the same pydantic models that validate the requests.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from schemas.api import ApiError
from server.routes.api_support import require_role
from server.routes.idempotency import HEADER, run_once
from server.storage.accounts import Account

ACCOUNT = web.RequestKey("account", Account)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PATH_PARAMETER = re.compile(r"{(\w+)}")
ERROR_STATUSES = {
    "400": "The body is not JSON, or a path or header holds U+0000 or bytes that are not UTF-8",
    "401": "Not logged in, or the token expired",
    "403": "The account's role does not allow this",
    "404": "No such resource",
    "410": "The resource was deleted (an event of the place): it will not come back",
    "411": "The body was sent chunked: send it with a Content-Length",
    "413": "The body exceeds 1 MiB",
    "415": "The body's content coding is not identity, gzip or deflate",
    "422": "Invalid input: `fields` names each failing field",
    "503": "The database is unavailable for now: retry after `Retry-After` seconds",
}
# Answered only by the routes that declare them (`errors=`), besides the ones above.
ROUTE_ERROR_STATUSES = {
    "401": "Wrong username or password",
    "429": "Too many failed attempts: retry after `Retry-After` seconds",
}


@dataclass(frozen=True)
class ApiRoute:
    method: str
    path: str
    handler: Handler
    summary: str
    body: type[BaseModel] | None
    response: type[BaseModel] | None
    response_is_list: bool
    status: int
    roles: tuple[str, ...] | None  # None: public; () any logged-in account
    query: type[BaseModel] | None
    errors: tuple[str, ...] = ()  # statuses of ROUTE_ERROR_STATUSES this route answers


@dataclass
class ApiRegistry:
    routes: list[ApiRoute] = field(default_factory=list)

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        body: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        response_is_list: bool = False,
        status: int = 200,
        roles: tuple[str, ...] | None = (),
        query: type[BaseModel] | None = None,
        errors: tuple[str, ...] = (),
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(
                ApiRoute(
                    method,
                    path,
                    handler,
                    summary,
                    body,
                    response,
                    response_is_list,
                    status,
                    roles,
                    query,
                    errors,
                )
            )
            return handler

        return register

    def roles_for(self, method: str, path: str) -> tuple[str, ...] | None:
        """The roles the API requires for an action; the pages doing it require the same."""
        for api_route in self.routes:
            if (api_route.method, api_route.path) == (method, path):
                return api_route.roles
        raise LookupError(f"no API route {method} {path}")

    def add_routes(self, router: web.UrlDispatcher) -> None:
        for api_route in self.routes:
            router.add_route(api_route.method, api_route.path, guarded(api_route))


def guarded(api_route: ApiRoute) -> Handler:
    """The handler behind the role check its declaration names, so the two cannot disagree;
    a POST that needs a login honours Idempotency-Key (server.routes.idempotency)."""
    if api_route.roles is None:
        return api_route.handler

    async def check_then_handle(request: web.Request) -> web.StreamResponse:
        account = await require_role(request, *(api_route.roles or ()))
        request[ACCOUNT] = account
        if api_route.method == "POST":
            return await run_once(request, account, api_route.handler)
        return await api_route.handler(request)

    check_then_handle.__name__ = api_route.handler.__name__
    return check_then_handle


def current_account(request: web.Request) -> Account:
    """The logged-in account of a route declared with roles."""
    return request[ACCOUNT]


API = ApiRegistry()


def openapi_document(routes: list[ApiRoute], version: str) -> dict[str, Any]:
    schemas: dict[str, Any] = {"ApiError": ApiError.model_json_schema()}
    paths: dict[str, dict[str, Any]] = {}
    for api_route in routes:
        operation = describe_operation(api_route, schemas)
        paths.setdefault(api_route.path, {})[api_route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Maillage API",
            "version": version,
            "description": "Authoring API of a Maillage node. Bearer tokens come from "
            "POST /api/v1/auth/login.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def reference(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, str]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        schemas[name] = definition
    schemas[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def describe_operation(api_route: ApiRoute, schemas: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": api_route.summary,
        "operationId": api_route.handler.__name__,
        "responses": {},
    }
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in PATH_PARAMETER.findall(api_route.path)
    ]
    if api_route.query is not None:
        for name, info in api_route.query.model_fields.items():
            parameters.append(
                {
                    "name": info.alias or name,
                    "in": "query",
                    "required": info.is_required(),
                    "description": info.description or "",
                    "schema": {"type": "string"},
                }
            )
    idempotent = api_route.method == "POST" and api_route.roles is not None
    if idempotent:
        parameters.append(
            {
                "name": HEADER,
                "in": "header",
                "required": False,
                "description": "Within 24 h, the same key (per account) gets the first "
                "successful answer again, and nothing is done twice; the same key with another "
                "request is refused with 422",
                "schema": {"type": "string", "maxLength": 255},
            }
        )
    if parameters:
        operation["parameters"] = parameters
    if api_route.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": reference(api_route.body, schemas)}},
        }
    success: dict[str, Any] = {"description": "Success"}
    if api_route.response is not None:
        item = reference(api_route.response, schemas)
        shape = {"type": "array", "items": item} if api_route.response_is_list else item
        success["content"] = {"application/json": {"schema": shape}}
    operation["responses"][str(api_route.status)] = success
    error_body = {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}}
    for status, description in ERROR_STATUSES.items():
        if status in ("401", "403") and api_route.roles is None:
            continue
        operation["responses"][status] = {"description": description, "content": error_body}
    for status in api_route.errors:
        description = ROUTE_ERROR_STATUSES[status]
        operation["responses"][status] = {"description": description, "content": error_body}
    if idempotent:
        operation["responses"]["409"] = {
            "description": f"A request with this {HEADER} is still in progress",
            "content": error_body,
        }
    if api_route.roles is not None:
        operation["security"] = [{"bearer": []}]
        if api_route.roles:
            operation["description"] = "Roles: " + ", ".join(api_route.roles)
    return operation
