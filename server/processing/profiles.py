"""A member's profile and their consent: editing it, sharing it with the network, withdrawing it.

Scheme (FEDERATION.md, "Member profiles and consent"): the place speaks for its members. Sharing
makes the place `Announce` the member's Person document (embedded) to its accepted followers;
withdrawing or deleting the account makes the place send `Delete` of the Person (a `Tombstone`) to
those followers and to every inbox an earlier announce was queued for. The place signs both, so a
deleted account needs no surviving key, and receivers always know the signer (they follow it).
"""

from __future__ import annotations

import asyncpg

from federation.hosts import canonical_host
from server.database import DbConnection
from server.documents.profiles import person_document
from server.processing.errors import ProcessingError
from server.processing.publish import PUBLIC, publish
from server.storage import accounts, local_actors, outbox, profiles
from server.storage.accounts import Account
from server.storage.keys import key_pairs_of
from server.storage.local_actors import PLACE
from server.storage.profiles import LocalProfile, Profile
from server.urls import NodeUrls


class ProfileError(ProcessingError):
    """The change is refused; `status` is the HTTP status the API answers with."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(code, message)
        self.status = status


async def profile_of(connection: DbConnection, username: str) -> LocalProfile:
    found = await profiles.find_profile(connection, username)
    if found is None:
        raise ProfileError(404, "no-such-member", f"no member named {username!r} on this node")
    return found


async def edit_profile(
    pool: asyncpg.Pool, urls: NodeUrls, username: str, profile: Profile
) -> LocalProfile:
    async with pool.acquire() as connection, connection.transaction():
        await lock_member(connection, username)
        await profiles.save_profile(connection, username, profile)
        saved = await profile_of(connection, username)
        if saved.visibility == "network":
            await share(connection, urls, username)
    return saved


async def change_visibility(
    pool: asyncpg.Pool, urls: NodeUrls, username: str, visibility: str
) -> LocalProfile:
    async with pool.acquire() as connection, connection.transaction():
        await lock_member(connection, username)
        before = await profile_of(connection, username)
        await local_actors.set_visibility(connection, username, visibility)
        if visibility == "network":
            await share(connection, urls, username)
        elif before.visibility == "network":
            await withdraw(connection, urls, username)
        return await profile_of(connection, username)


async def delete_member(pool: asyncpg.Pool, urls: NodeUrls, account: Account) -> None:
    """Delete the account; a shared profile is withdrawn from the network first."""
    async with pool.acquire() as connection, connection.transaction():
        await lock_member(connection, account.username)
        if (
            account.role == "administrator"
            and await accounts.count_role(connection, "administrator") <= 1
        ):
            raise ProfileError(
                409, "last-administrator", "the last administrator cannot delete their account"
            )
        found = await profiles.find_profile(connection, account.username)
        if found is not None and found.visibility == "network":
            await withdraw(connection, urls, account.username)
        await accounts.delete_account(connection, account.id)


async def lock_member(connection: DbConnection, username: str) -> None:
    """Serialise changes of one member, so two requests cannot share and withdraw crosswise."""
    await connection.execute("SELECT 1 FROM local_actors WHERE name = $1 FOR UPDATE", username)


async def share(connection: DbConnection, urls: NodeUrls, username: str) -> None:
    """The place announces the member's current Person document; older announces are dropped
    so that the outbox (read by backfilling neighbours) only holds the latest."""
    actor = await local_actors.find_local_actor(connection, username)
    local = await profile_of(connection, username)
    if actor is None or not actor.federated:
        return
    document = person_document(urls, actor, await key_pairs_of(connection, username), local)
    document.pop("@context", None)
    await profiles.remove_announces(connection, PLACE, document["id"])
    await publish(
        connection,
        urls,
        PLACE,
        {
            "type": "Announce",
            "to": [urls.followers(PLACE)],
            "cc": [PUBLIC],
            "object": document,
        },
        to_followers=True,
    )


async def withdraw(connection: DbConnection, urls: NodeUrls, username: str) -> None:
    """Make every neighbour that got (or was about to get) the profile drop it."""
    person = urls.actor(username)
    earlier = await profiles.shared_inboxes(connection, PLACE, person)
    await profiles.remove_announces(connection, PLACE, person)
    outbox_id = await publish(
        connection,
        urls,
        PLACE,
        {
            "type": "Delete",
            "to": [urls.followers(PLACE)],
            "object": {"id": person, "type": "Tombstone", "formerType": "Person"},
        },
        to_followers=True,
    )
    await outbox.add_deliveries(
        connection, outbox_id, {url: canonical_host(url) for url in earlier}
    )
