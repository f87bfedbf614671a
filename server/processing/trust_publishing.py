"""Publishing this node's trust list: changing it, signing each version, telling subscribers.

Every change raises the version, signs the new document once with the Application actor's
Ed25519 key (FEP-8b32, as our activities are) and stores it as served; when the list is
published, an `Update` embedding the document goes to every subscriber in the same transaction.
Subscribing is a `Follow` of the list itself (its id as `object`), sent to the Application actor.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog

from schemas import domain_blocks
from schemas.trust_lists import TrustListEntry, trust_list_document
from server.database import DbConnection
from server.processing.answer_repeats import answer_once
from server.processing.context import NodeContext
from server.processing.domain_policy import InvalidPolicy, canonical_domain
from server.processing.proof_signing import sign_activity
from server.processing.publish import publish
from server.storage import answered_requests, moderation_log, trust_lists
from server.storage.local_actors import APPLICATION
from server.urls import NodeUrls

log = structlog.get_logger(__name__)


class TrustListChangeError(ValueError):
    """A change of our list that cannot be made (the message says why); nothing changed."""


async def put_entry(
    connection: DbConnection, node: NodeContext, entry: TrustListEntry, who: str
) -> bool:
    """Add or change an entry of our list; whether the list changed (a new version)."""
    try:
        domain = canonical_domain(entry.domain)
    except InvalidPolicy as error:
        raise TrustListChangeError(str(error)) from None
    if domain == node.urls.host and entry.policy != "member":
        raise TrustListChangeError("the list cannot suspend or limit this node itself")
    entry = entry.model_copy(update={"domain": domain})
    async with connection.transaction():
        current = await trust_lists.state(connection, lock=True)
        if not await trust_lists.put_entry(connection, entry):
            return False
        await moderation_log.record(
            connection,
            who=who,
            action=f"trust_list.{entry.policy}",
            target=domain,
            reason=entry.public_reason,
        )
        await _new_version(connection, node.urls, current.published, current.name, current.summary)
    return True


async def import_mastodon_csv(
    connection: DbConnection, node: NodeContext, text: str, who: str
) -> tuple[list[str], dict[str, str]]:
    """Put the blocks of a Mastodon domain-block CSV in our list, as one new version: the
    domains added or changed, and those skipped with why. A file that does not parse raises
    CsvError and changes nothing."""
    rows = domain_blocks.parse(text)
    added: list[str] = []
    skipped: dict[str, str] = {}
    async with connection.transaction():
        current = await trust_lists.state(connection, lock=True)
        for row in rows:
            try:
                domain = canonical_domain(row.domain)
            except InvalidPolicy as error:
                skipped[f"line {row.line}"] = f"{row.domain[:100]}: {error}"
                continue
            if row.severity is None or domain == node.urls.host:
                skipped[domain] = "noop" if row.severity is None else "this node itself"
                continue
            entry = TrustListEntry(
                domain=domain, policy=row.severity, public_reason=row.public_comment[:1000]
            )
            if await trust_lists.put_entry(connection, entry):
                added.append(domain)
        if added:
            await moderation_log.record(
                connection,
                who=who,
                action="trust_list.import",
                target=node.urls.trust_list,
                details={"domains": added, "skipped": skipped},
            )
            await _new_version(
                connection, node.urls, current.published, current.name, current.summary
            )
    return added, skipped


async def remove_entry(connection: DbConnection, node: NodeContext, domain: str, who: str) -> bool:
    try:
        domain = canonical_domain(domain)
    except InvalidPolicy as error:
        raise TrustListChangeError(str(error)) from None
    async with connection.transaction():
        current = await trust_lists.state(connection, lock=True)
        if not await trust_lists.remove_entry(connection, domain):
            return False
        await moderation_log.record(connection, who=who, action="trust_list.remove", target=domain)
        await _new_version(connection, node.urls, current.published, current.name, current.summary)
    return True


async def configure(
    connection: DbConnection,
    node: NodeContext,
    *,
    published: bool,
    name: str,
    summary: str,
    who: str,
) -> bool:
    """Publish the list (or stop), with its name and summary; whether anything changed."""
    async with connection.transaction():
        current = await trust_lists.state(connection, lock=True)
        if (current.published, current.name, current.summary) == (published, name, summary):
            return False
        await moderation_log.record(
            connection,
            who=who,
            action="trust_list.publish" if published else "trust_list.unpublish",
            target=node.urls.trust_list,
            details={"name": name, "summary": summary},
        )
        await _new_version(connection, node.urls, published, name, summary)
    return True


async def _new_version(
    connection: DbConnection, urls: NodeUrls, published: bool, name: str, summary: str
) -> None:
    current = await trust_lists.state(connection)
    version = current.version + 1
    updated = datetime.now(UTC).replace(microsecond=0)
    document = trust_list_document(
        list_id=urls.trust_list,
        publisher=urls.actor(APPLICATION),
        version=version,
        updated=updated,
        name=name,
        summary=summary,
        entries=await trust_lists.entries(connection),
    )
    signed = await sign_activity(connection, urls, APPLICATION, document)
    await trust_lists.save_state(
        connection,
        published=published,
        name=name,
        summary=summary,
        version=version,
        updated=updated,
        document=signed,
    )
    if published:
        await _tell_subscribers(connection, urls, signed)


async def _tell_subscribers(
    connection: DbConnection, urls: NodeUrls, document: dict[str, Any]
) -> None:
    subscribers = await trust_lists.subscribers(connection)
    if not subscribers:
        return
    await publish(
        connection,
        urls,
        APPLICATION,
        {"type": "Update", "to": subscribers, "object": document},
        to_followers=False,
        recipients=subscribers,
        on_stream=False,
    )


async def receive_follow(
    connection: DbConnection, node: NodeContext, follower: str, followed: str, activity_id: str
) -> bool:
    """A Follow of our list: accepted while the list is published (the follower gets its Updates
    from now on), rejected otherwise. A repeat is answered again only as `answer_once` allows.
    Whether it was a Follow of our list."""
    if followed != node.urls.trust_list:
        return False
    published = await trust_lists.published_document(connection) is not None
    if published:
        await trust_lists.add_subscriber(connection, follower, activity_id)
    else:
        await trust_lists.remove_subscriber(connection, follower)
        log.info("follow of an unpublished trust list refused", follower=follower)
    answer = "Accept" if published else "Reject"
    await answer_once(
        connection,
        follower,
        followed,
        answer,
        lambda: publish(
            connection,
            node.urls,
            APPLICATION,
            {
                "type": answer,
                "to": [follower],
                "object": {
                    "id": activity_id,
                    "type": "Follow",
                    "actor": follower,
                    "object": followed,
                },
            },
            to_followers=False,
            recipients=[follower],
            on_stream=False,
        ),
    )
    return True


async def receive_undo_follow(
    connection: DbConnection, node: NodeContext, actor: str, payload: dict[str, Any]
) -> bool:
    """An Undo of a Follow of our list by its follower; whether it was one."""
    target = payload.get("object")
    if isinstance(target, dict):
        if target.get("object") != node.urls.trust_list:
            return False
    elif not isinstance(target, str) or not await _is_subscription_follow(connection, target):
        return False
    await trust_lists.remove_subscriber(connection, actor)
    # Its next Follow is a new subscription, answered at once.
    await answered_requests.forget(connection, actor, node.urls.trust_list)
    return True


async def _is_subscription_follow(connection: DbConnection, follow_id: str) -> bool:
    return bool(
        await connection.fetchval(
            "SELECT true FROM trust_list_subscribers WHERE follow_activity_id = $1", follow_id
        )
    )
