"""Commands that answer what waits for an animateur: follows of a place that approves its
followers manually (`neighbours accept|refuse HANDLE`), and participants of an event that joins
on approval (`events participants ID`, `events accept|refuse ID PARTICIPANT`)."""

from __future__ import annotations

import click

from clients.api import MaillageClient
from clients.cli import json_option, neighbours, show, with_client
from clients.cli_content import events, model_or_fail
from schemas.api import FollowRequest, FollowResult
from schemas.api_events import ParticipantAnswer, ParticipantOut, ParticipantResult


async def answer_follower(client: MaillageClient, target: str, accept: bool) -> FollowResult:
    verb = "accept" if accept else "refuse"
    return await client.typed(
        FollowResult,
        "POST",
        f"/api/v1/neighbours/followers/{verb}",
        model_or_fail(FollowRequest, target=target),
    )


async def answer_participant(
    client: MaillageClient, event_id: int, participant: str, accept: bool
) -> ParticipantResult:
    verb = "accept" if accept else "refuse"
    return await client.typed(
        ParticipantResult,
        "POST",
        f"/api/v1/events/{event_id}/participants/{verb}",
        model_or_fail(ParticipantAnswer, participant=participant),
    )


@neighbours.command("accept")
@click.argument("target")
def accept_follower(target: str) -> None:
    """Accept TARGET's follow of the place (a handle or actor URL from `neighbours`)."""
    result = with_client(lambda client: answer_follower(client, target, True))
    click.echo(f"{result.actor} now follows the place.")


@neighbours.command("refuse")
@click.argument("target")
def refuse_follower(target: str) -> None:
    """Refuse TARGET's follow of the place; it is told, and may ask again."""
    result = with_client(lambda client: answer_follower(client, target, False))
    click.echo(f"{result.actor}'s follow is refused.")


@events.command("participants")
@click.argument("event_id", type=int)
@json_option
def participants(event_id: int, as_json: bool) -> None:
    """Who takes part in one of our events, and who waits for an answer."""
    found = with_client(
        lambda client: client.typed_list(
            ParticipantOut, "GET", f"/api/v1/events/{event_id}/participants"
        )
    )
    columns = {"participant": "participant", "state": "state", "since": "since"}
    show(found, columns, as_json, "Nobody takes part yet.")


@events.command("accept")
@click.argument("event_id", type=int)
@click.argument("participant")
def accept_participant(event_id: int, participant: str) -> None:
    """Accept PARTICIPANT (an actor URL from `events participants`), who waits for approval."""
    result = with_client(lambda client: answer_participant(client, event_id, participant, True))
    click.echo(f"{result.participant}: {result.state}")


@events.command("refuse")
@click.argument("event_id", type=int)
@click.argument("participant")
def refuse_participant(event_id: int, participant: str) -> None:
    """Refuse PARTICIPANT, who waits for approval; their server is told."""
    result = with_client(lambda client: answer_participant(client, event_id, participant, False))
    click.echo(f"{result.participant}: {result.state}")
