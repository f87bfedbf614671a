"""The network directory: every place the node knows, searchable; and suggested places.

Known places are our own, every remote Group whose details we hold (from its `Update`s, or from
fetching the actor), and suggestions: the places the places we follow follow themselves, read
from their `following` collections when a follow is accepted and again every
`suggestions_refresh_hours` (signed fetch, capped).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog
from pydantic import ValidationError

from federation.fetcher import FetchError
from schemas.actors import Group
from schemas.api_directory import PlaceOut, PlacesQuery
from schemas.api_place import PlaceProfile
from schemas.errors import SchemaError
from schemas.parse import parse_actor
from server.database import DbConnection
from server.opening_hours import is_open
from server.processing import actor_lifecycle
from server.processing.context import NodeContext
from server.processing.place_profile import current_profile, keep_place
from server.processing.publish import as_list
from server.processing.remote_actors import ActorUnavailable
from server.storage import directory, follows, remote_actors
from server.storage.local_actors import PLACE
from server.storage.place_profile import RemotePlaceProfile
from server.stream_filters import distance_km
from server.urls import NodeUrls

log = structlog.get_logger(__name__)

# Reading a neighbour's `following`: a few pages, a bounded number of ids, a bounded number of
# actor documents fetched for their names and locations.
MAX_FOLLOWING_PAGES = 5
MAX_FOLLOWING_ITEMS = 200
MAX_SUGGESTED_FETCHES = 20
# Neighbours refreshed per round of the periodic refresh; the others wait for the next round.
MAX_REFRESHES_PER_ROUND = 20


@actor_lifecycle.on_actor_fetched
async def remember_place(pool: asyncpg.Pool, uri: str, document: dict[str, Any]) -> None:
    """An actor document was just fetched from its id: a Group's place details are kept if it is
    a place we follow or are suggested (`keep_place`).

    The details come from the document stored now, read under its row's lock, not from
    `document`: an Update of the actor processed since the fetch was stored is newer, and the
    place must not go back to what the fetch read.
    """
    async with pool.acquire() as connection, connection.transaction():
        stored = await remote_actors.locked_actor_document(connection, uri)
        await keep_group(connection, uri, document if stored is None else stored)


async def keep_group(connection: DbConnection, uri: str, document: dict[str, Any]) -> None:
    if document.get("type") != "Group":
        return
    try:
        group = parse_actor(document)
    except (SchemaError, ValidationError) as error:
        log.info("group details ignored", actor=uri, reason=str(error))
        return
    if isinstance(group, Group) and group.id == uri:
        await keep_place(connection, uri, group)


def own_place(urls: NodeUrls, profile: PlaceProfile) -> RemotePlaceProfile:
    """Our place in the shape of the others', with the hours as a neighbour would store them."""
    address = profile.address
    return RemotePlaceProfile(
        actor_uri=urls.actor(PLACE),
        name=profile.name,
        summary=profile.description or None,
        street_address=address.street_address if address else None,
        postal_code=address.postal_code if address else None,
        address_locality=address.locality if address else None,
        address_region=address.region if address else None,
        address_country=address.country if address else None,
        latitude=profile.latitude,
        longitude=profile.longitude,
        timezone=profile.timezone,
        opening_hours=[
            {
                "dayOfWeek": list(hours.days),
                "opens": hours.opens.isoformat(),
                "closes": hours.closes.isoformat(),
            }
            for hours in profile.opening_hours
        ],
        opening_hours_exception=[
            {
                "validFrom": exception.starts.isoformat(),
                "validThrough": (exception.ends or exception.starts).isoformat(),
                **(
                    {"opens": exception.opens.isoformat(), "closes": exception.closes.isoformat()}
                    if exception.opens is not None and exception.closes is not None
                    else {}
                ),
                **({"description": exception.reason} if exception.reason else {}),
            }
            for exception in profile.opening_exceptions
        ],
        services=[*(service.value for service in profile.services), *profile.other_services],
        space_kinds=[*(kind.value for kind in profile.space_kinds), *profile.other_space_kinds],
        accessibility=list(profile.accessibility),
        labels=list(profile.labels),
    )


def _lowered(values: list[str]) -> set[str]:
    return {value.lower() for value in values}


def _matches_text(place: RemotePlaceProfile, text: str) -> bool:
    haystack = " ".join(
        value
        for value in (
            place.name,
            place.summary,
            place.address_locality,
            place.address_region,
            place.postal_code,
            *place.services,
            *place.space_kinds,
            *place.labels,
        )
        if value
    )
    return text.lower() in haystack.lower()


def place_out(
    place: RemotePlaceProfile,
    relation: str,
    suggested_by: list[str],
    distance: float | None,
    open_now: bool | None,
) -> PlaceOut:
    return PlaceOut(
        id=place.actor_uri,
        name=place.name,
        summary=place.summary,
        street_address=place.street_address,
        postal_code=place.postal_code,
        locality=place.address_locality,
        region=place.address_region,
        country=place.address_country,
        latitude=place.latitude,
        longitude=place.longitude,
        timezone=place.timezone,
        opening_hours=place.opening_hours,
        opening_hours_exception=place.opening_hours_exception,
        services=place.services,
        space_kinds=place.space_kinds,
        accessibility=place.accessibility,
        labels=place.labels,
        relation=relation,
        suggested=relation == "suggested",
        suggested_by=suggested_by,
        distance_km=None if distance is None else round(distance, 3),
        open_now=open_now,
    )


async def search_places(
    connection: DbConnection,
    urls: NodeUrls,
    query: PlacesQuery,
    now: datetime | None = None,
    *,
    limited: Callable[[str], bool] = lambda _url: False,
) -> list[PlaceOut]:
    """The known places that pass every filter of `query`: by distance, else by name.
    `limited` (DomainPolicies.limits_url): a suggested place it names is left out; a place
    we follow shows whatever its domain's policy."""
    own = urls.actor(PLACE)
    moment = query.open_at or now or datetime.now(UTC)
    following = await directory.followed_by(connection, own)
    suggested = await directory.suggestions(connection, own)
    places: dict[str, tuple[RemotePlaceProfile, str]] = {
        own: (own_place(urls, await current_profile(connection)), "self")
    }
    for place in await directory.known_places(connection):
        if place.actor_uri == own:
            continue
        # Only places we chose show: followed, or followed by a place we follow. Details kept
        # from before (a follow that ended) are not listed.
        if place.actor_uri in following:
            places[place.actor_uri] = (place, "following")
        elif place.actor_uri in suggested and not limited(place.actor_uri):
            places[place.actor_uri] = (place, "suggested")
    # Suggestions without place details (not fetched yet) are shown by their id and name; the
    # actors a neighbour follows that are known not to be places are no suggestions.
    missing = [
        uri for uri in suggested if uri not in places and uri not in following and not limited(uri)
    ]
    actors = await directory.actors_of(connection, missing) if missing else {}
    for uri in missing:
        kind, name = actors.get(uri, ("Group", None))
        if kind == "Group":
            places[uri] = (RemotePlaceProfile(actor_uri=uri, name=name), "suggested")

    wanted_services = _lowered(query.services)
    wanted_kinds = _lowered(query.kinds)
    found: list[PlaceOut] = []
    for place, relation in places.values():
        if relation == "suggested" and not query.suggestions:
            continue
        if not wanted_services <= _lowered(place.services):
            continue
        if not wanted_kinds <= _lowered(place.space_kinds):
            continue
        if query.q is not None and not _matches_text(place, query.q):
            continue
        distance = None
        if query.lat is not None and query.lon is not None:
            if place.latitude is not None and place.longitude is not None:
                distance = distance_km(query.lat, query.lon, place.latitude, place.longitude)
            if query.km is not None and (distance is None or distance > query.km):
                continue
        open_now = is_open(
            moment, place.timezone, place.opening_hours, place.opening_hours_exception
        )
        if (query.open_now or query.open_at is not None) and open_now is not True:
            continue
        found.append(
            place_out(place, relation, suggested.get(place.actor_uri, []), distance, open_now)
        )
    if query.lat is not None:
        found.sort(key=lambda p: (p.distance_km is None, p.distance_km or 0.0, p.id))
    else:
        found.sort(key=lambda p: (p.relation != "self", (p.name or "").lower(), p.id))
    return found[: query.limit]


def geojson(places: list[PlaceOut]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the places with coordinates ([longitude, latitude])."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": place.id,
                "geometry": {"type": "Point", "coordinates": [place.longitude, place.latitude]},
                "properties": {
                    "name": place.name,
                    "url": place.id,
                    "services": place.services,
                    "kinds": place.space_kinds,
                    "openNow": place.open_now,
                    "suggested": place.suggested,
                    "distanceKm": place.distance_km,
                },
            }
            for place in places
            if place.latitude is not None and place.longitude is not None
        ],
    }


async def _fetch(node: NodeContext, url: Any) -> dict[str, Any]:
    if node.fetcher is None or node.actors is None:
        raise ActorUnavailable("this process cannot fetch")
    if not isinstance(url, str):
        raise ActorUnavailable(f"{url!r} is not a URL")
    try:
        fetched = await node.fetcher.fetch_json_document(url, sign=node.actors.signer.sign_get)
    except FetchError as error:
        raise ActorUnavailable(f"cannot fetch {url}: {error}") from None
    return fetched.data


def _ids(page: dict[str, Any]) -> list[str]:
    found = as_list(page.get("orderedItems")) or as_list(page.get("items"))
    ids = [item.get("id") if isinstance(item, dict) else item for item in found]
    return [uri for uri in ids if isinstance(uri, str) and uri.startswith(("https://", "http://"))]


async def read_following(node: NodeContext, neighbour: str) -> list[str]:
    """The actor ids in `neighbour`'s `following` collection, within the caps."""
    actor = await _fetch(node, neighbour)
    collection = await _fetch(node, actor.get("following"))
    found = _ids(collection)
    page: Any = collection.get("first")
    for _ in range(MAX_FOLLOWING_PAGES):
        if page is None or len(found) >= MAX_FOLLOWING_ITEMS:
            break
        document = page if isinstance(page, dict) else await _fetch(node, page)
        found.extend(_ids(document))
        page = document.get("next")
    return list(dict.fromkeys(found))[:MAX_FOLLOWING_ITEMS]


async def refresh_suggestions(pool: asyncpg.Pool, node: NodeContext, neighbour: str) -> int:
    """Store the places `neighbour` follows as suggestions and fetch the unknown ones' documents.

    Never raises: a neighbour that hides its `following` just suggests nothing.
    """
    own = node.urls.actor(PLACE)
    try:
        uris = [uri for uri in await read_following(node, neighbour) if uri != own]
    except ActorUnavailable as error:
        log.info("no suggestions from neighbour", neighbour=neighbour, reason=str(error))
        return 0
    async with pool.acquire() as connection, connection.transaction():
        # The follow may have ended while `following` was read: its end already dropped the
        # neighbour's suggestions and schedule (`follow_ended`, under the same lock), which
        # must not come back.
        await follows.lock_followed(connection, neighbour)
        if not await follows.still_followed(connection, neighbour):
            return 0
        await directory.replace_suggestions(connection, neighbour, uris)
        unknown = await directory.unknown_places(connection, uris)
    assert node.actors is not None  # read_following needed them
    for uri in unknown[:MAX_SUGGESTED_FETCHES]:
        try:
            # Stores the actor and, for a Group, its place details (RemoteActorDirectory).
            await node.actors.refresh_actor(uri)
        except ActorUnavailable as error:
            log.info("suggested actor unavailable", actor=uri, reason=str(error))
    return len(uris)


async def refresh_due_suggestions(
    pool: asyncpg.Pool, node: NodeContext, every_seconds: float
) -> int:
    """Refresh the suggestions of the place's neighbours last read more than `every_seconds`
    ago, so that places a neighbour follows later get suggested; returns how many were due.

    Safe in several processes at once: each neighbour is claimed by one (`claim_due_refreshes`).
    """
    async with pool.acquire() as connection:
        due = await directory.claim_due_refreshes(
            connection, node.urls.actor(PLACE), every_seconds, MAX_REFRESHES_PER_ROUND
        )
    for neighbour in due:
        await refresh_suggestions(pool, node, neighbour)
    return len(due)
