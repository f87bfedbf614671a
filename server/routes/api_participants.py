"""REST API: who takes part in one of our events, and answering the Joins that wait for approval
(events whose join mode is 'restricted')."""

from __future__ import annotations

from aiohttp import web

from schemas.api_events import ParticipantAnswer, ParticipantOut, ParticipantResult
from server.appkeys import SERVICES
from server.processing.rsvp import RsvpError, answer_participant
from server.routes.api_events import find_event
from server.routes.api_registry import API
from server.routes.api_support import ApiFailure, read_body, reply
from server.storage import participants

ANIMATION = ("administrator", "animateur")


@API.route(
    "GET",
    "/api/v1/events/{id}/participants",
    summary="Who takes part in one of our events, and who waits for an answer",
    response=ParticipantOut,
    response_is_list=True,
    roles=ANIMATION,
)
async def get_participants(request: web.Request) -> web.Response:
    event = await find_event(request, local=True)
    async with request.app[SERVICES].pool.acquire() as connection:
        found = await participants.taking_part(connection, event.id)
    return reply([ParticipantOut(**vars(item)) for item in found])


async def answer(request: web.Request, accept: bool) -> web.Response:
    event = await find_event(request, local=True)
    body = await read_body(request, ParticipantAnswer)
    services = request.app[SERVICES]
    try:
        async with services.pool.acquire() as connection, connection.transaction():
            state = await answer_participant(
                connection, services.urls, event.ap_id, body.participant, accept
            )
    except RsvpError as error:
        raise ApiFailure(
            422, error.message, {"participant": error.message}, code=error.code
        ) from None
    return reply(ParticipantResult(participant=body.participant, state=state))


@API.route(
    "POST",
    "/api/v1/events/{id}/participants/accept",
    summary="Accept a participant who waits for approval (Accept of their Join)",
    body=ParticipantAnswer,
    response=ParticipantResult,
    roles=ANIMATION,
)
async def accept_participant(request: web.Request) -> web.Response:
    return await answer(request, True)


@API.route(
    "POST",
    "/api/v1/events/{id}/participants/refuse",
    summary="Refuse a participant who waits for approval (Reject of their Join)",
    body=ParticipantAnswer,
    response=ParticipantResult,
    roles=ANIMATION,
)
async def refuse_participant(request: web.Request) -> web.Response:
    return await answer(request, False)
