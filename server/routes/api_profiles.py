"""REST API: a member's profile, who sees it, and deleting one's account."""

from __future__ import annotations

from typing import cast

from aiohttp import web

from schemas.api_profiles import (
    LinkBody,
    ProfileIn,
    ProfileOut,
    ProfilePatch,
    SkillBody,
    Visibility,
    VisibilityIn,
)
from server.appkeys import SERVICES, URLS
from server.processing import profiles
from server.processing.profiles import ProfileError
from server.processing.sanitise import clean_html, typed_text
from server.routes.api_registry import API, current_account
from server.routes.api_support import ApiFailure, read_body, reply
from server.storage import profiles as profile_storage
from server.storage.profiles import LocalProfile, Profile, ProfileLink, Skill
from server.urls import NodeUrls


def profile_out(local: LocalProfile, urls: NodeUrls) -> ProfileOut:
    return ProfileOut(
        username=local.actor_name,
        actor=urls.actor(local.actor_name),
        visibility=cast(Visibility, local.visibility),  # the column's CHECK constraint
        **profile_in(local).model_dump(),
        updated_at=local.updated_at,
    )


def profile_from(body: ProfileIn) -> Profile:
    return Profile(
        name=typed_text(body.name),
        bio=clean_html(body.bio),
        skills=[Skill(typed_text(skill.name), skill.uri) for skill in body.skills],
        links=[ProfileLink(typed_text(link.label), link.url) for link in body.links],
        avatar=body.avatar,
    )


def failure(error: ProfileError) -> ApiFailure:
    return ApiFailure(error.status, error.message, code=error.code)


@API.route(
    "GET", "/api/v1/me/profile", summary="The logged-in member's profile", response=ProfileOut
)
async def get_my_profile(request: web.Request) -> web.Response:
    async with request.app[SERVICES].pool.acquire() as connection:
        try:
            local = await profiles.profile_of(connection, current_account(request).username)
        except ProfileError as error:
            raise failure(error) from None
    return reply(profile_out(local, request.app[URLS]))


@API.route(
    "PUT",
    "/api/v1/me/profile",
    summary="Replace the profile (a `network` profile is announced again to the neighbours)",
    body=ProfileIn,
    response=ProfileOut,
)
async def put_my_profile(request: web.Request) -> web.Response:
    body = await read_body(request, ProfileIn)
    services = request.app[SERVICES]
    try:
        local = await profiles.edit_profile(
            services.pool, services.urls, current_account(request).username, profile_from(body)
        )
    except ProfileError as error:
        raise failure(error) from None
    return reply(profile_out(local, request.app[URLS]))


@API.route(
    "PATCH",
    "/api/v1/me/profile",
    summary="Change some fields of the profile; the others stay (null clears a field)",
    body=ProfilePatch,
    response=ProfileOut,
)
async def patch_my_profile(request: web.Request) -> web.Response:
    patch = await read_body(request, ProfilePatch)
    services = request.app[SERVICES]
    username = current_account(request).username
    try:
        async with services.pool.acquire() as connection:
            current = profile_in(await profiles.profile_of(connection, username))
        local = await profiles.edit_profile(
            services.pool, services.urls, username, profile_from(patch.applied_to(current))
        )
    except ProfileError as error:
        raise failure(error) from None
    return reply(profile_out(local, request.app[URLS]))


def profile_in(local: LocalProfile) -> ProfileIn:
    """The stored profile as the body that would store it again."""
    profile = local.profile
    return ProfileIn(
        name=profile.name,
        bio=profile.bio,
        skills=[SkillBody(name=skill.name, uri=skill.uri) for skill in profile.skills],
        links=[LinkBody(label=link.label, url=link.url) for link in profile.links],
        avatar=profile.avatar,
    )


@API.route(
    "PUT",
    "/api/v1/me/profile/visibility",
    summary="Who sees the profile: private (default), members of this place, or the network",
    body=VisibilityIn,
    response=ProfileOut,
)
async def put_my_visibility(request: web.Request) -> web.Response:
    body = await read_body(request, VisibilityIn)
    services = request.app[SERVICES]
    try:
        local = await profiles.change_visibility(
            services.pool, services.urls, current_account(request).username, body.visibility
        )
    except ProfileError as error:
        raise failure(error) from None
    return reply(profile_out(local, request.app[URLS]))


@API.route(
    "GET",
    "/api/v1/profiles",
    summary="Profiles of this place's members that the logged-in account may see",
    response=ProfileOut,
    response_is_list=True,
)
async def get_profiles(request: web.Request) -> web.Response:
    async with request.app[SERVICES].pool.acquire() as connection:
        found = await profile_storage.profiles_shown_to(
            connection, current_account(request).username
        )
    return reply([profile_out(local, request.app[URLS]) for local in found])


@API.route(
    "DELETE",
    "/api/v1/me",
    summary="Delete the logged-in account; a shared profile is withdrawn from the network",
    status=204,
)
async def delete_me(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    try:
        await profiles.delete_member(services.pool, services.urls, current_account(request))
    except ProfileError as error:
        raise failure(error) from None
    return web.Response(status=204)
