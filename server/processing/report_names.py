"""The names a moderator reads in the reports queue instead of bare ids: the reported actor's
display name and handle, each object's title. What we do not hold (any more) stays its id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from server.database import DbConnection
from server.processing.context import NodeContext
from server.storage import reports
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
    connection: DbConnection, node: NodeContext, shown: Sequence[Report]
) -> ReportNames:
    """Two queries for a whole page of reports."""
    uris = list(dict.fromkeys(report.target_actor for report in shown))
    ours = {uri: name for uri in uris if (name := node.urls.local_actor_name(uri)) is not None}
    remote, local = await reports.actor_names(
        connection, [uri for uri in uris if uri not in ours], list(ours.values())
    )
    actors: dict[str, ActorName] = {}
    for uri in uris:
        found = local.get(ours[uri]) if uri in ours else remote.get(uri)
        if found is not None:
            host = found.host or node.urls.host
            handle = f"{found.username}@{host}" if found.username else None
            actors[uri] = ActorName(found.display_name, handle)
    refs = list(dict.fromkeys(ref for report in shown for ref in report.objects))
    return ReportNames(actors, await reports.object_titles(connection, refs))
