"""Client calls for what a place publishes: events, RSVPs, open calls, one's profile."""

from __future__ import annotations

from clients.api import MaillageClient
from schemas.api_calls import CallClose, CallIn, CallOut, CallPatch
from schemas.api_events import EventIn, EventOut, EventPatch, RsvpIn, RsvpOut
from schemas.api_profiles import ProfileIn, ProfileOut, VisibilityIn


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


async def edit_my_profile(client: MaillageClient, profile: ProfileIn) -> ProfileOut:
    return await client.typed(ProfileOut, "PUT", "/api/v1/me/profile", profile)


async def set_my_visibility(client: MaillageClient, visibility: VisibilityIn) -> ProfileOut:
    return await client.typed(ProfileOut, "PUT", "/api/v1/me/profile/visibility", visibility)
