"""Publishing: an activity of a local actor becomes an outbox row and one delivery per inbox."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from federation.hosts import canonical_host
from schemas.context import DATA_INTEGRITY_CONTEXT_URL, MULTIKEY_CONTEXT_URL, emitted_context
from server.database import DbConnection
from server.processing import live_feed
from server.processing.proof_signing import sign_activity
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
    after: Mapping[str, int] | None = None,
    on_stream: bool = True,
) -> int:
    """Store `activity` in the actor's outbox and queue its deliveries, in the caller's transaction.

    `recipients` are remote actor ids that must be known (fetched) already. Sent to the
    followers too, it goes to each recipient's shared inbox when it has one, as to the
    followers, so that a recipient who also follows gets it once; sent to them alone (a Follow,
    an Accept), to their own inbox. `after` maps a recipient to an outbox activity that must
    reach its server first. `seats_only` marks an Update of an event that changed only its
    counts, for the live stream; `on_stream=False` keeps off the stream an activity that is no
    news (an Accept sent again).
    """
    activity = {"@context": proof_context(), **activity}
    activity.setdefault("id", new_activity_id(urls))
    activity.setdefault("actor", urls.actor(actor_name))
    activity = await sign_activity(connection, urls, actor_name, activity)
    audience = {*as_list(activity.get("to")), *as_list(activity.get("cc"))}
    public = PUBLIC in audience
    outbox_id = await outbox.store_published(
        connection, activity["id"], actor_name, activity["type"], public, activity
    )
    inboxes: set[str] = set()
    if to_followers:
        inboxes.update(await follows.accepted_follower_inboxes(connection, urls.actor(actor_name)))
    waits: dict[str, int] = {}
    for recipient in recipients:
        actor = await remote_actors.find_remote_actor(connection, recipient)
        if actor is not None and not actor.gone:
            inbox = actor.delivery_inbox if to_followers else actor.inbox
            inboxes.add(inbox)
            if after and recipient in after:
                waits[inbox] = after[recipient]
    await outbox.add_deliveries(
        connection, outbox_id, {url: canonical_host(url) for url in inboxes}, waits
    )
    if on_stream:
        await live_feed.record(connection, activity, place=urls.actor(PLACE), seats_only=seats_only)
    return outbox_id


def proof_context() -> list[Any]:
    """Our context with the Data Integrity terms (`proof`, `DataIntegrityProof`) that JSON-LD
    readers such as Fedify need to find the integrity proof."""
    context = emitted_context()
    context.insert(context.index(MULTIKEY_CONTEXT_URL) + 1, DATA_INTEGRITY_CONTEXT_URL)
    return context


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
