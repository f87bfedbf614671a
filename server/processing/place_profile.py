"""The place profile: edited locally, published on the Group actor, read from remote Groups.

Every change sends an `Update` of the whole Group actor to the followers, as Mastodon does for a
profile edit; a receiving node keeps the actor document and the place details it carries.
"""

from __future__ import annotations

from html import escape
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog
from pydantic import ValidationError

from schemas.actors import Group
from schemas.api_place import PlaceProfile
from schemas.emit import to_json
from schemas.errors import SchemaError
from schemas.objects import Image, PropertyValue
from schemas.parse import parse_actor
from schemas.placedetails import OpeningHoursSpecification, PriceSpecification
from schemas.places import Place, PostalAddress
from server.database import DbConnection
from server.documents.actors import actor_document
from server.processing import objects
from server.processing.context import NodeContext
from server.processing.objects import Imported, NothingImported, Removed
from server.processing.publish import PUBLIC, publish
from server.processing.remote_actors import ActorUnavailable, actor_from_document
from server.processing.sanitise import plain_text, text_as_html
from server.storage import directory, place_profile, remote_actors
from server.storage.inbox import ReceivedActivity
from server.storage.keys import key_pairs_of
from server.storage.local_actors import PLACE, find_local_actor
from server.storage.place_profile import RemotePlaceProfile
from server.urls import NodeUrls

log = structlog.get_logger(__name__)

# What we keep of a remote place's lists: enough for any real place, bounded for a hostile one.
MAX_ENTRIES = 100
MAX_ENTRY_LENGTH = 200


async def current_profile(connection: DbConnection, *, for_update: bool = False) -> PlaceProfile:
    """The stored profile; before the first edit, just the name the node was created with."""
    stored = await place_profile.load_profile(connection, for_update=for_update)
    actor = await find_local_actor(connection, PLACE)
    # The actor's row holds the follower policy the inbox applies (set before any profile).
    manual = actor is not None and actor.manually_approves_followers
    if stored is not None:
        return PlaceProfile.model_validate(stored | {"manually_approves_followers": manual})
    return PlaceProfile(
        name=actor.display_name if actor else PLACE, manually_approves_followers=manual
    )


async def save_and_publish(connection: DbConnection, urls: NodeUrls, profile: PlaceProfile) -> None:
    """Store the profile and send the new Group to the followers, in the caller's transaction."""
    await place_profile.save_profile(
        connection, profile.model_dump(mode="json"), PLACE, text_as_html(profile.description)
    )
    actor = await find_local_actor(connection, PLACE)
    if actor is None:
        raise LookupError("the node has no place actor")
    document = actor_document(
        urls, actor, await key_pairs_of(connection, PLACE), place_details_document(profile)
    )
    document.pop("@context", None)
    activity = {
        "type": "Update",
        "to": [PUBLIC],
        "cc": [urls.followers(PLACE)],
        "object": document,
    }
    await publish(connection, urls, PLACE, activity, to_followers=True)


async def place_details_for(connection: DbConnection) -> dict[str, Any]:
    return place_details_document(await current_profile(connection))


def place_details_document(profile: PlaceProfile) -> dict[str, Any]:
    """The Group properties the profile adds: location, details, links, images."""
    address = profile.address
    postal = (
        PostalAddress(
            street_address=address.street_address,
            postal_code=address.postal_code,
            address_locality=address.locality,
            address_region=address.region,
            address_country=address.country,
        )
        if address is not None
        else None
    )
    location = (
        [
            Place(
                name=profile.name,
                address=postal,
                latitude=profile.latitude,
                longitude=profile.longitude,
            )
        ]
        if postal is not None or profile.latitude is not None
        else []
    )
    group = Group(
        location=location,
        timezone=profile.timezone,
        opening_hours=[
            OpeningHoursSpecification(
                day_of_week=hours.days, opens=hours.opens, closes=hours.closes
            )
            for hours in profile.opening_hours
        ],
        opening_hours_exception=[
            OpeningHoursSpecification(
                valid_from=exception.starts,
                valid_through=exception.ends or exception.starts,
                opens=exception.opens,
                closes=exception.closes,
                description=exception.reason,
            )
            for exception in profile.opening_exceptions
        ],
        services=[*(service.value for service in profile.services), *profile.other_services],
        space_kinds=[*(kind.value for kind in profile.space_kinds), *profile.other_space_kinds],
        accessibility=profile.accessibility,
        prices=[
            PriceSpecification(
                name=price.name,
                price=price.price,
                price_currency=price.currency,
                unit_text=price.unit,
            )
            for price in profile.prices
        ],
        labels=profile.labels,
        # Mastodon shows PropertyValue attachments as the profile's fields, links included.
        attachment=[
            PropertyValue(
                name=link.name,
                value=f'<a href="{escape(link.url)}" rel="me nofollow noopener">'
                f"{escape(link.url)}</a>",
            )
            for link in profile.links
        ],
        # `name` is an image's alternative text, as Mastodon reads it on attachments.
        image=[Image(url=[image.url], name=image.description) for image in profile.images],
    )
    details = to_json(group, with_context=False)
    details.pop("type", None)
    return details


def _texts(values: list[str]) -> list[str]:
    cleaned = (_text(value) for value in values[:MAX_ENTRIES])
    return [value for value in cleaned if value]


def _text(value: str | None, length: int = MAX_ENTRY_LENGTH) -> str | None:
    # Stored as text, not HTML: every reader escapes it when showing it.
    return plain_text(value)[:length] or None if value else None


def _time_zone(value: str | None) -> str | None:
    if not value:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return value


def _hours(specs: list[OpeningHoursSpecification]) -> list[dict[str, Any]]:
    return [
        spec.model_copy(update={"description": _text(spec.description)}).model_dump(
            mode="json", by_alias=True
        )
        for spec in specs[:MAX_ENTRIES]
    ]


def remote_place_from(actor_uri: str, group: Group) -> RemotePlaceProfile:
    """The columns the directory queries, from a received Group (every text sanitised)."""
    place = next((item for item in group.location if isinstance(item, Place)), None)
    postal = place.postal_address if place is not None else None
    text_address = place.address if place is not None and isinstance(place.address, str) else None
    return RemotePlaceProfile(
        actor_uri=actor_uri,
        name=_text(group.name),
        summary=_text(group.summary, 2000),
        street_address=_text(postal.street_address if postal else text_address),
        postal_code=_text(postal.postal_code if postal else None),
        address_locality=_text(postal.address_locality if postal else None),
        address_region=_text(postal.address_region if postal else None),
        address_country=_text(postal.address_country if postal else None),
        latitude=place.latitude if place is not None else None,
        longitude=place.longitude if place is not None else None,
        timezone=_time_zone(group.timezone),
        opening_hours=_hours(group.opening_hours),
        opening_hours_exception=_hours(group.opening_hours_exception),
        services=_texts(group.services),
        space_kinds=_texts(group.space_kinds),
        accessibility=_texts(group.accessibility),
        prices=[
            price.model_copy(
                update={
                    field: _text(getattr(price, field))
                    for field in ("name", "price", "price_currency", "unit_text")
                }
            ).model_dump(mode="json", by_alias=True)
            for price in group.prices[:MAX_ENTRIES]
        ],
        labels=_texts(group.labels),
    )


async def keep_place(connection: DbConnection, uri: str, group: Group) -> bool:
    """Store the place details of `group` (read from its own id or its own Update) if the
    directory may show it: a place we follow or that is suggested to us. Any other Group, a
    stranger that signed a request or updated itself, leaves nothing (FEDERATION.md,
    "What is shown from whom")."""
    if not await directory.place_chosen(connection, uri):
        return False
    await place_profile.save_remote_place(connection, remote_place_from(uri, group))
    return True


class PlaceActorHandlers:
    """`Update` (or `Create`) of a Group actor: the actor's own new profile, nobody else's."""

    async def created(
        self,
        connection: DbConnection,
        node: NodeContext,
        activity: ReceivedActivity,
        document: dict[str, Any],
    ) -> Imported | NothingImported:
        return await self.updated(connection, node, activity, document)

    async def updated(
        self,
        connection: DbConnection,
        node: NodeContext,
        activity: ReceivedActivity,
        document: dict[str, Any],
    ) -> Imported | NothingImported:
        uri = activity.actor_uri
        # The origin check allows any object of the actor's host; an actor speaks for itself only.
        if document.get("id") != uri:
            return NothingImported("another actor's document")
        try:
            actor, keys = actor_from_document(uri, document)
            group = parse_actor(document)
        except (ActorUnavailable, SchemaError, ValidationError) as error:
            log.info("actor update ignored", actor=uri, reason=str(error))
            return NothingImported("an actor we cannot read")
        # The actor's own document (its keys, its inbox) is kept as a fetch of it would be.
        await remote_actors.save_remote_actor(connection, actor, document, keys)
        if isinstance(group, Group) and await keep_place(connection, uri, group):
            return Imported(uri)  # a place's details have no card on the stream
        return NothingImported("a place we neither follow nor are suggested")

    async def deleted(
        self,
        connection: DbConnection,
        node: NodeContext,
        activity: ReceivedActivity,
        object_id: str,
    ) -> Removed | NothingImported:
        if object_id == activity.actor_uri:
            await place_profile.forget_remote_place(connection, object_id)
        return NothingImported("a place's details have no card on the stream")


objects.register(("Group",), PlaceActorHandlers())
