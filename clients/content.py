"""Client calls for what a place publishes: events, RSVPs, open calls, one's profile."""

from __future__ import annotations

from clients.api import MaillageClient
from clients.display import DEFAULT_ZONE
from schemas.api import AccountOut
from schemas.api_calls import CallClose, CallIn, CallOut, CallPatch
from schemas.api_events import EventIn, EventOut, EventPatch, RsvpIn, RsvpOut
from schemas.api_place import PlaceProfile, PlaceProfilePatch
from schemas.api_profiles import ProfileOut, ProfilePatch, VisibilityIn


async def events(client: MaillageClient) -> list[EventOut]:
    return await client.typed_list(EventOut, "GET", "/api/v1/events")


async def create_event(client: MaillageClient, event: EventIn) -> EventOut:
    return await client.typed(EventOut, "POST", "/api/v1/events", event)


async def edit_event(client: MaillageClient, event_id: int, patch: EventPatch) -> EventOut:
    return await client.typed(EventOut, "PATCH", f"/api/v1/events/{event_id}", patch)


async def cancel_event(client: MaillageClient, event_id: int) -> EventOut:
    return await client.typed(EventOut, "POST", f"/api/v1/events/{event_id}/cancel")


async def delete_event(client: MaillageClient, event_id: int) -> None:
    await client.request("DELETE", f"/api/v1/events/{event_id}")


async def join(client: MaillageClient, event: str) -> RsvpOut:
    return await client.typed(RsvpOut, "POST", "/api/v1/events/rsvp", RsvpIn(event=event))


async def leave(client: MaillageClient, event: str) -> RsvpOut:
    return await client.typed(RsvpOut, "DELETE", "/api/v1/events/rsvp", RsvpIn(event=event))


async def place_zone(client: MaillageClient) -> str:
    """The place's own time zone, in which times typed without one are read."""
    place = await place_profile(client)
    return place.timezone or DEFAULT_ZONE


async def calls_and_zone(client: MaillageClient) -> tuple[str, list[CallOut]]:
    return await place_zone(client), await calls(client)


async def calls(client: MaillageClient) -> list[CallOut]:
    return await client.typed_list(CallOut, "GET", "/api/v1/calls")


async def create_call(client: MaillageClient, call: CallIn) -> CallOut:
    return await client.typed(CallOut, "POST", "/api/v1/calls", call)


async def edit_call(client: MaillageClient, call_id: str, patch: CallPatch) -> CallOut:
    return await client.typed(CallOut, "PATCH", f"/api/v1/calls/{call_id}", patch)


async def close_call(client: MaillageClient, call_id: str, filled: bool) -> CallOut:
    body = CallClose(status="filled" if filled else "closed")
    return await client.typed(CallOut, "POST", f"/api/v1/calls/{call_id}/close", body)


async def delete_call(client: MaillageClient, call_id: str) -> None:
    await client.request("DELETE", f"/api/v1/calls/{call_id}")


async def my_profile(client: MaillageClient) -> ProfileOut:
    return await client.typed(ProfileOut, "GET", "/api/v1/me/profile")


async def edit_my_profile(client: MaillageClient, patch: ProfilePatch) -> ProfileOut:
    return await client.typed(ProfileOut, "PATCH", "/api/v1/me/profile", patch)


async def set_my_visibility(client: MaillageClient, visibility: VisibilityIn) -> ProfileOut:
    return await client.typed(ProfileOut, "PUT", "/api/v1/me/profile/visibility", visibility)


async def accounts(client: MaillageClient) -> list[AccountOut]:
    return await client.typed_list(AccountOut, "GET", "/api/v1/accounts")


async def place_profile(client: MaillageClient) -> PlaceProfile:
    return await client.typed(PlaceProfile, "GET", "/api/v1/place")


async def edit_place(client: MaillageClient, patch: PlaceProfilePatch) -> PlaceProfile:
    return await client.typed(PlaceProfile, "PATCH", "/api/v1/place", patch)
