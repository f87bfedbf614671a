"""Backfill: once a follow is accepted, import what the followed actor published before it.

The followed actor's outbox is fetched (signed by the node's Application actor, a few capped pages,
SECURITY.md row 18: no object named by id is fetched) and each `Create`, `Update` or `Announce`
whose embedded object is on the followed actor's origin is given, oldest first, to the same
object handlers a live activity reaches. What is over (an event that ended, a call whose deadline
passed) or deleted since is skipped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog

from federation.fetcher import FetchError
from federation.hosts import same_origin
from server.processing import blocks, objects
from server.processing.context import NodeContext
from server.processing.directory import refresh_suggestions
from server.processing.publish import as_list
from server.processing.remote_actors import ActorUnavailable
from server.storage import follows
from server.storage.inbox import ReceivedActivity

log = structlog.get_logger(__name__)

MAX_PAGES = 5
MAX_ITEMS = 200
IMPORTED_TYPES = frozenset({"Create", "Update", "Announce"})
ENDS = ("endTime", "deadline")


class BackfillFailed(Exception):
    """The outbox could not be read; the job is retried later."""


class FollowedGone(BackfillFailed):
    """The followed actor's own id answered 410: it ended here as after its Delete of itself,
    and there will never be anything to import."""


async def fetch(node: NodeContext, url: Any, origin_of: str) -> dict[str, Any]:
    if node.fetcher is None or node.actors is None:
        raise BackfillFailed("this process cannot fetch")
    if not isinstance(url, str) or not same_origin(url, origin_of):
        raise BackfillFailed(f"{url!r} is not on the followed actor's origin")
    try:
        fetched = await node.fetcher.fetch_json_document(url, sign=node.actors.signer.sign_get)
    except FetchError as error:
        raise BackfillFailed(f"cannot fetch {url}: {error}") from None
    return fetched.data


async def fetch_followed(node: NodeContext, followed: str) -> dict[str, Any]:
    """The followed actor's document, through the directory, which ends an actor whose id
    answers 410 and tells that from any other failure. It is stored as any fetch of an actor
    is, so its listeners run: a place's details join the directory now that our follow is
    accepted (FEDERATION.md), unless an Update processed meanwhile brought newer ones."""
    if node.actors is None:
        raise BackfillFailed("this process cannot fetch")
    try:
        return (await node.actors.refetch(followed)).document
    except ActorUnavailable as error:
        failure = FollowedGone if error.gone else BackfillFailed
        raise failure(str(error)) from None


def items_of(page: dict[str, Any]) -> list[dict[str, Any]]:
    found = as_list(page.get("orderedItems")) or as_list(page.get("items"))
    return [item for item in found if isinstance(item, dict)]


async def read_outbox(
    node: NodeContext, followed: str, actor: dict[str, Any]
) -> list[dict[str, Any]]:
    """The outbox's embedded activities, newest first, within the caps."""
    outbox = actor.get("outbox")
    if isinstance(outbox, dict):  # an embedded collection stands for its id
        outbox = outbox.get("id")
    if outbox is None:
        # Not every actor has an outbox (ActivityPub requires one, some servers leave it out):
        # nothing to import, and nothing to retry.
        log.info("followed actor has no outbox", followed=followed)
        return []
    collection = await fetch(node, outbox, followed)
    found = items_of(collection)
    page: Any = collection.get("first")
    for _ in range(MAX_PAGES):
        if page is None or len(found) >= MAX_ITEMS:
            break
        document = page if isinstance(page, dict) else await fetch(node, page, followed)
        found.extend(items_of(document))
        page = document.get("next")
    return found[:MAX_ITEMS]


def ended(document: dict[str, Any], now: datetime) -> bool:
    # An event without an end is over once it started (endTime is optional in FEP-8a8e).
    keys = ENDS if "endTime" in document else (*ENDS, "startTime")
    for key in keys:
        value = document.get(key)
        if isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            if moment.tzinfo is not None and moment < now:
                return True
    return False


def importable(item: dict[str, Any], followed: str, deleted: set[str], now: datetime) -> bool:
    document = item.get("object")
    if item.get("type") not in IMPORTED_TYPES or item.get("actor") != followed:
        return False
    if not isinstance(item.get("id"), str) or not same_origin(item["id"], followed):
        return False
    if not isinstance(document, dict) or not isinstance(document.get("id"), str):
        return False
    owners = [o if isinstance(o, str) else "" for o in as_list(document.get("attributedTo"))]
    return (
        same_origin(document["id"], followed)
        and all(same_origin(owner, followed) for owner in owners)
        and document["id"] not in deleted
        and not ended(document, now)
    )


def deleted_ids(items: list[dict[str, Any]]) -> set[str]:
    gone: set[str] = set()
    for item in items:
        target = item.get("object")
        target_id = target.get("id") if isinstance(target, dict) else target
        if item.get("type") == "Delete" and isinstance(target_id, str):
            gone.add(target_id)
    return gone


async def backfill(pool: asyncpg.Pool, node: NodeContext, followed: str) -> int:
    """Import the followed actor's current objects; returns how many items were handed over."""
    async with pool.acquire() as connection:
        if not await follows.still_followed(connection, followed):
            return 0  # unfollowed since the job was queued (its end removes pending jobs too)
    actor = await fetch_followed(node, followed)
    items = await read_outbox(node, followed, actor)
    deleted = deleted_ids(items)
    now = datetime.now(UTC)
    imported = 0
    for item in reversed(items):  # oldest first, as they were published
        if not importable(item, followed, deleted, now):
            continue
        handlers = objects.handlers_for(item["object"])
        if handlers is None:
            continue
        activity = ReceivedActivity(0, item["id"], item["type"], followed, None, item, 0)
        try:
            async with pool.acquire() as connection, connection.transaction():
                # The border a live activity meets: an announced object of an actor the place
                # blocks stays out of the backfill too.
                if await blocks.refused(connection, node, activity):
                    continue
                if item["type"] == "Update":
                    await handlers.updated(connection, node, activity, item["object"])
                else:
                    await handlers.created(connection, node, activity, item["object"])
        except (asyncpg.PostgresError, ValueError, KeyError, TypeError) as error:
            log.warning("backfilled item failed", item=item["id"], error=repr(error))
            continue
        imported += 1
    await refresh_suggestions(pool, node, followed)  # the directory's suggested places
    return imported
