"""REST API: the place profile (public to read; administrators and animateurs edit it)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import ValidationError

from schemas.api_place import PlaceProfile, PlaceProfilePatch
from server.appkeys import SERVICES
from server.processing.place_profile import current_profile, save_and_publish
from server.routes.api_registry import API
from server.routes.api_support import ApiFailure, read_body, reply

ANIMATION = ("administrator", "animateur")


def invalid(error: ValidationError) -> ApiFailure:
    fields = {
        ".".join(str(part) for part in problem["loc"]) or "body": problem["msg"]
        for problem in error.errors()
    }
    return ApiFailure(422, "invalid request", fields)


@API.route(
    "GET",
    "/api/v1/place",
    summary="The place profile",
    response=PlaceProfile,
    roles=None,
)
async def get_place(request: web.Request) -> web.Response:
    async with request.app[SERVICES].pool.acquire() as connection:
        return reply(await current_profile(connection))


async def store(request: web.Request, profile: PlaceProfile) -> web.Response:
    services = request.app[SERVICES]
    async with services.pool.acquire() as connection, connection.transaction():
        await save_and_publish(connection, services.urls, profile)
    return reply(profile)


@API.route(
    "PUT",
    "/api/v1/place",
    summary="Replace the place profile; the place's followers receive the new profile",
    body=PlaceProfile,
    response=PlaceProfile,
    roles=ANIMATION,
)
async def put_place(request: web.Request) -> web.Response:
    return await store(request, await read_body(request, PlaceProfile))


@API.route(
    "PATCH",
    "/api/v1/place",
    summary="Change some fields of the place profile; the followers receive the new profile",
    body=PlaceProfilePatch,
    response=PlaceProfile,
    roles=ANIMATION,
)
async def patch_place(request: web.Request) -> web.Response:
    patch = await read_body(request, PlaceProfilePatch)
    services = request.app[SERVICES]
    async with services.pool.acquire() as connection, connection.transaction():
        # Locked until commit: two patches at once both apply, neither undoes the other.
        stored = await current_profile(connection, for_update=True)
        merged: dict[str, Any] = {
            **stored.model_dump(mode="json"),
            **patch.model_dump(mode="json", exclude_unset=True),
        }
        try:
            profile = PlaceProfile.model_validate(merged)
        except ValidationError as error:
            raise invalid(error) from None
        await save_and_publish(connection, services.urls, profile)
    return reply(profile)
