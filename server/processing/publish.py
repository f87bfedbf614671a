"""Publishing: an activity of a local actor becomes an outbox row and one delivery per inbox."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from federation.hosts import canonical_host
from schemas.context import emitted_context
from server.database import DbConnection
from server.processing import live_feed
from server.storage import follows, outbox, remote_actors
from server.storage.local_actors import PLACE
from server.urls import NodeUrls

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def new_activity_id(urls: NodeUrls) -> str:
    return urls.activity(secrets.token_urlsafe(12))


async def publish(
    connection: DbConnection,
    urls: NodeUrls,
    actor_name: str,
    activity: dict[str, Any],
    *,
    to_followers: bool,
    recipients: Iterable[str] = (),
    seats_only: bool = False,
    on_stream: bool = True,
) -> int:
    """Store `activity` in the actor's outbox and queue its deliveries, in the caller's transaction.

    `recipients` are remote actor ids that must be known (fetched) already; `seats_only` marks an
    Update of an event that changed only its counts, for the live stream; `on_stream=False`
    keeps off the stream an activity that is no news (an Accept sent again).
    """
    activity = {"@context": emitted_context(), **activity}
    activity.setdefault("id", new_activity_id(urls))
    activity.setdefault("actor", urls.actor(actor_name))
    audience = {*as_list(activity.get("to")), *as_list(activity.get("cc"))}
    public = PUBLIC in audience
    outbox_id = await outbox.store_published(
        connection, activity["id"], actor_name, activity["type"], public, activity
    )
    inboxes: set[str] = set()
    if to_followers:
        inboxes.update(await follows.accepted_follower_inboxes(connection, urls.actor(actor_name)))
    for recipient in recipients:
        actor = await remote_actors.find_remote_actor(connection, recipient)
        if actor is not None and not actor.gone:
            inboxes.add(actor.inbox)
    await outbox.add_deliveries(
        connection, outbox_id, {url: canonical_host(url) for url in inboxes}
    )
    if on_stream:
        await live_feed.record(
            connection, activity, local=True, place=urls.actor(PLACE), seats_only=seats_only
        )
    return outbox_id


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
