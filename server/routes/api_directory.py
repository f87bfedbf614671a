"""REST API: the directory of places and the skills search (public, read-only).

Both are public: a place's details are on its public Group actor, and the people listed are only
those whose profiles are shared network-wide (`network` visibility here, or shared with us by a
neighbour), which are on federated actor documents already. `private` and `members` profiles
are never read by this search, whoever asks.
"""

from __future__ import annotations

import json
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from schemas.api_directory import LinkOut, PeopleQuery, PersonOut, PlaceOut, PlacesQuery, SkillOut
from server.appkeys import SERVICES, URLS
from server.processing.directory import geojson, search_places
from server.processing.people_search import people_seen_by
from server.routes.api_registry import API
from server.routes.api_support import ApiFailure, optional_account, reply
from server.storage.local_actors import PLACE, find_local_actor

Q = TypeVar("Q", bound=BaseModel)
LIST_PARAMETERS = frozenset({"services", "kinds"})


def read_query(request: web.Request, model: type[Q]) -> Q:
    """The query string as `model`, or a 422 naming every failing parameter."""
    raw: dict[str, str] = {}
    for name in request.query:
        values = request.query.getall(name)
        # Repeating a list parameter adds to it; repeating another one is refused by the model.
        raw[name] = ",".join(values) if name in LIST_PARAMETERS else values[-1]
        if name not in LIST_PARAMETERS and len(values) > 1:
            raise ApiFailure(422, "invalid query", {name: "given more than once"})
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        fields = {
            ".".join(str(part) for part in problem["loc"]) or "query": problem["msg"]
            for problem in error.errors()
        }
        raise ApiFailure(422, "invalid query", fields) from None


async def places_for(request: web.Request, query: PlacesQuery) -> list[PlaceOut]:
    services = request.app[SERVICES]
    async with services.pool.acquire() as connection:
        return await search_places(
            connection, request.app[URLS], query, limited=services.domain_policies.limits_url
        )


@API.route(
    "GET",
    "/api/v1/places",
    summary="Directory: our place, the places we know or follow, and our neighbours' "
    "(suggestions); by distance, opening time, services, kind of space, free text",
    query=PlacesQuery,
    response=PlaceOut,
    response_is_list=True,
    roles=None,
)
async def list_places(request: web.Request) -> web.Response:
    return reply(list(await places_for(request, read_query(request, PlacesQuery))))


@API.route(
    "GET",
    "/api/v1/places.geojson",
    summary="The same directory as a GeoJSON FeatureCollection of Points ([longitude, latitude])",
    query=PlacesQuery,
    roles=None,
)
async def places_geojson(request: web.Request) -> web.Response:
    places = await places_for(request, read_query(request, PlacesQuery))
    return web.Response(
        text=json.dumps(geojson(places), ensure_ascii=False),
        content_type="application/geo+json",
    )


@API.route(
    "GET",
    "/api/v1/people",
    summary="Skills search over the profiles shared network-wide, ours and our neighbours' "
    "(with a token, without the actors that account blocks)",
    query=PeopleQuery,
    response=PersonOut,
    response_is_list=True,
    roles=None,
)
async def search_people(request: web.Request) -> web.Response:
    query = read_query(request, PeopleQuery)
    urls = request.app[URLS]
    services = request.app[SERVICES]
    account = await optional_account(request)
    viewer = account.username if account is not None else None
    async with services.pool.acquire() as connection:
        found = await people_seen_by(connection, query, services.domain_policies.limits_url, viewer)
        own_place = await find_local_actor(connection, PLACE)
    own_name = own_place.display_name if own_place is not None else None
    people = [
        PersonOut(
            actor=shared.actor or urls.actor(shared.username or ""),
            name=shared.profile.name,
            bio=shared.profile.bio,
            skills=[SkillOut(name=skill.name, uri=skill.uri) for skill in shared.profile.skills],
            links=[LinkOut(label=link.label, url=link.url) for link in shared.profile.links],
            avatar=shared.profile.avatar,
            place=shared.place or urls.actor(PLACE),
            place_name=shared.place_name if shared.place else own_name,
            local=shared.place is None,
        )
        for shared in found
    ]
    return reply(list(people))
