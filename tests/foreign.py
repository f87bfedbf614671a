"""Hand-made remote servers in the shapes other implementations send, on the hostile server.

`tests/hostile.py` plays attackers; the same loopback server here plays honest peers that are
merely unfamiliar: GoToSocial and Fedify 2 (a context URL we never heard of, a key at its own
path), activitypub-express (a `keyId` that is the actor id itself). A `Mailbox` records what a
node delivers to such an actor's inbox.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.hostile import AS_CONTEXT, SECURITY_CONTEXT, HostileActor
from tests.support import wait_until

# Sent by GoToSocial (internal/ap/serialize.go) and by Fedify 2, in every actor and activity.
GOTOSOCIAL_CONTEXT = "https://gotosocial.org/ns"
FOREIGN_CONTEXT: list[Any] = [
    AS_CONTEXT,
    SECURITY_CONTEXT,
    GOTOSOCIAL_CONTEXT,
    {"toot": "http://joinmastodon.org/ns#", "featured": {"@id": "toot:featured", "@type": "@id"}},
]


@dataclass
class Mailbox:
    """Records every POST to one inbox path; answers 202 like a peer that stored it."""

    received: list[dict[str, Any]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.received.append(json.loads(await request.read()))
        return web.Response(status=202)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [activity for activity in self.received if activity.get("type") == kind]

    async def wait_for(self, kind: str, *, count: int = 1) -> list[dict[str, Any]]:
        async def arrived() -> list[dict[str, Any]] | None:
            found = self.of_type(kind)
            return found if len(found) >= count else None

        return await wait_until(arrived, what=f"{count} {kind} in the mailbox")


def mailbox_of(actor: HostileActor) -> Mailbox:
    """Serve a recording inbox at the actor's `inbox` (its document's `{id}/inbox`)."""
    box = Mailbox()
    actor.server.route(actor.host, f"/actors/{actor.name}/inbox", box.handle)
    return box
