"""The names a moderator reads in the reports queue instead of bare ids: the reported actor's
display name and handle, each object's title. What we do not hold (any more) stays its id."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from server.database import DbConnection
from server.processing.context import NodeContext
from server.storage import events, local_actors, open_calls, profiles, remote_actors
from server.storage.reports import Report


@dataclass(frozen=True)
class ActorName:
    name: str | None  # its display name, when it has one
    handle: str | None  # name@host, when we know its username


@dataclass(frozen=True)
class ReportNames:
    actors: dict[str, ActorName] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)  # object id -> title

    def actor(self, uri: str) -> ActorName:
        return self.actors.get(uri, ActorName(None, None))


async def names_of(
    connection: DbConnection, node: NodeContext, shown: Iterable[Report]
) -> ReportNames:
    names = ReportNames()
    for report in shown:
        if report.target_actor not in names.actors:
            names.actors[report.target_actor] = await actor_name(
                connection, node, report.target_actor
            )
        for ref in report.objects:
            if ref not in names.titles and (title := await title_of(connection, ref)):
                names.titles[ref] = title
    return names


async def actor_name(connection: DbConnection, node: NodeContext, uri: str) -> ActorName:
    local = node.urls.local_actor_name(uri)
    if local is not None:
        actor = await local_actors.find_local_actor(connection, local)
        if actor is not None:
            return ActorName(actor.display_name or None, f"{actor.name}@{node.urls.host}")
        return ActorName(None, None)
    remote = await remote_actors.find_remote_actor(connection, uri)
    if remote is None:
        return ActorName(None, None)
    handle = f"{remote.preferred_username}@{remote.host}" if remote.preferred_username else None
    return ActorName(remote.display_name or None, handle)


async def title_of(connection: DbConnection, ref: str) -> str | None:
    event = await events.find_by_ap_id(connection, ref)
    if event is not None:
        return event.fields.name
    call = await open_calls.find_by_uri(connection, ref)
    if call is not None:
        return call.fields.title
    profile = await profiles.find_remote_profile(connection, ref)
    return None if profile is None else profile.profile.name or None
