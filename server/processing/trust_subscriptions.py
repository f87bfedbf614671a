"""Following other nodes' trust lists: subscribing, taking each new version, review, leaving.

A list is fetched through the safe fetcher (signed GET, its `id` must be its URL) and taken only
when its FEP-8b32 proof verifies with a key its `attributedTo` actor (on the list's origin)
publishes. Each version is taken once, in order: an older or equal version changes nothing. Taking
it compares the list with the domain policies this node holds from that list (source = the list's
URL) and either applies the differences (`auto`) or records them as proposals (`review`). The
place's own decisions are rows of their own, which always win (`domain_policies.effective`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog

from federation.fetcher import FetchError
from federation.hosts import same_origin
from federation.proofs import ProofError
from schemas.errors import SchemaError
from schemas.trust_lists import SEVERITY_OF, TrustList, parse_trust_list
from server.database import DbConnection
from server.processing import objects
from server.processing.context import NodeContext
from server.processing.domain_policy import (
    InvalidPolicy,
    apply_policy,
    canonical_domain,
    lift_policy,
)
from server.processing.errors import ProcessingError
from server.processing.objects import NothingImported, Outcome, Removed
from server.processing.proofs import AuthorProof, check_author_proof
from server.processing.publish import publish
from server.processing.remote_actors import ActorUnavailable
from server.storage import domain_policies, moderation_log, trust_subscriptions
from server.storage.domain_policies import Severity
from server.storage.inbox import ReceivedActivity
from server.storage.local_actors import APPLICATION
from server.storage.trust_subscriptions import Proposal, Subscription

log = structlog.get_logger(__name__)


class TrustListError(ProcessingError):
    """A list that cannot be subscribed to or taken; nothing changed. `detail`: what the page
    shows as it is beside the code's sentence (a reason from the network, a URL, a domain)."""

    def __init__(self, code: str, message: str, detail: str = "") -> None:
        super().__init__(code, message)
        self.detail = detail


@dataclass(frozen=True)
class Wanted:
    severity: Severity
    public_reason: str


def who_for(url: str) -> str:
    """How the moderation log names a list's own actions."""
    return f"trust list {url}"


async def fetch_verified(node: NodeContext, url: str) -> TrustList:
    """The list at `url`, fetched safely and checked: its proof by its publisher verifies."""
    if node.fetcher is None or node.actors is None:
        raise RuntimeError("fetching a trust list needs a running node's fetcher")
    try:
        fetched = await node.fetcher.fetch_json_document(url, sign=node.actors.signer.sign_get)
    except FetchError as error:
        raise TrustListError(
            "trust-list-unreachable", f"cannot fetch the list: {error.reason}", error.reason
        ) from None
    if fetched.final_url != url:
        raise TrustListError(
            "trust-list-moved", f"the list is at {fetched.final_url}, not {url}", fetched.final_url
        )
    try:
        trust_list = parse_trust_list(fetched.data)
    except SchemaError as error:
        raise TrustListError("trust-list-invalid", error.reason, error.reason) from None
    if not same_origin(trust_list.attributed_to, url):
        raise TrustListError(
            "trust-list-foreign-publisher", "the list's attributedTo is not on the list's origin"
        )
    try:
        proof = await check_author_proof(node.actors, fetched.data, trust_list.attributed_to)
    except ProofError as error:
        message = f"the list's proof: {error}"
        raise TrustListError("trust-list-bad-proof", message, str(error)) from None
    if proof is not AuthorProof.VERIFIED:
        raise TrustListError("trust-list-unproven", "the list carries no eddsa-jcs-2022 proof")
    return trust_list


def wanted_of(node: NodeContext, trust_list: TrustList) -> dict[str, Wanted]:
    """The domain policies the list asks for, by canonical domain (this node's own left out)."""
    wanted: dict[str, Wanted] = {}
    for entry in trust_list.ordered_items:
        try:
            domain = canonical_domain(entry.domain)
        except InvalidPolicy as error:
            raise TrustListError(
                "trust-list-bad-domain", f"the list names {entry.domain!r}: {error}", entry.domain
            ) from None
        if domain == node.urls.host:
            continue
        severity: Severity = SEVERITY_OF[entry.policy]  # type: ignore[assignment]
        wanted[domain] = Wanted(severity, entry.public_reason)
    return wanted


async def take(
    connection: DbConnection, node: NodeContext, url: str, trust_list: TrustList
) -> bool:
    """Apply or propose what a newer version of the list changes; whether it was newer."""
    wanted = wanted_of(node, trust_list)
    async with connection.transaction():
        subscription = await trust_subscriptions.find(connection, url, lock=True)
        if subscription is None or trust_list.version <= subscription.version:
            if subscription is not None:
                await trust_subscriptions.fetch_succeeded(connection, url)
            return False
        held = {row.domain: row for row in await domain_policies.policies(connection, source=url)}
        who = who_for(url)
        changed = [
            domain
            for domain, want in wanted.items()
            if domain not in held
            or (held[domain].severity, held[domain].public_reason)
            != (want.severity, want.public_reason)
        ]
        gone = [domain for domain in held if domain not in wanted]
        if subscription.mode == "auto":
            for domain in changed:
                await apply_policy(
                    connection,
                    domain=domain,
                    severity=wanted[domain].severity,
                    source=url,
                    who=who,
                    public_reason=wanted[domain].public_reason,
                    urls=node.urls,
                )
            for domain in gone:
                await lift_policy(connection, domain=domain, source=url, who=who, urls=node.urls)
        else:
            proposed = set(changed) | set(gone)
            for domain in await trust_subscriptions.pending_domains(connection, url):
                if domain not in proposed:  # the list no longer asks for it
                    await trust_subscriptions.withdraw(connection, url, domain)
            for domain in changed:
                await trust_subscriptions.propose(
                    connection,
                    list_url=url,
                    domain=domain,
                    change="set",
                    severity=wanted[domain].severity,
                    public_reason=wanted[domain].public_reason,
                    version=trust_list.version,
                )
            for domain in gone:
                await trust_subscriptions.propose(
                    connection,
                    list_url=url,
                    domain=domain,
                    change="remove",
                    severity=None,
                    public_reason="",
                    version=trust_list.version,
                )
        await trust_subscriptions.taken(
            connection,
            url,
            version=trust_list.version,
            updated=trust_list.updated,
            name=trust_list.name,
        )
    log.info("trust list taken", url=url, version=trust_list.version, mode=subscription.mode)
    return True


async def subscribe(
    pool: asyncpg.Pool, node: NodeContext, url: str, mode: str, who: str, every_seconds: float
) -> Subscription:
    """Follow the list at `url`: fetched and verified first, then taken, then followed."""
    url = url.strip()
    if not url.startswith(("https://", "http://")):
        raise TrustListError("trust-list-not-https", "a trust list's URL starts with https://")
    if url == node.urls.trust_list:
        raise TrustListError("trust-list-own", "this is this node's own list")
    async with pool.acquire() as connection:
        if await trust_subscriptions.find(connection, url) is not None:
            raise TrustListError("trust-list-followed", "already subscribed to this list")
    trust_list = await fetch_verified(node, url)
    wanted_of(node, trust_list)  # every domain readable, before anything is written
    follow_id = node.urls.activity(f"follow-{secrets.token_urlsafe(12)}")
    async with pool.acquire() as connection, connection.transaction():
        if not await trust_subscriptions.add(
            connection,
            url=url,
            mode=mode,
            publisher=trust_list.attributed_to,
            follow_activity_id=follow_id,
            next_fetch_seconds=every_seconds,
        ):
            raise TrustListError("trust-list-followed", "already subscribed to this list")
        await log_action(connection, who, "trust.subscribe", url, {"mode": mode})
        await take(connection, node, url, trust_list)
        await publish(
            connection,
            node.urls,
            APPLICATION,
            {"id": follow_id, "type": "Follow", "object": url, "to": [trust_list.attributed_to]},
            to_followers=False,
            recipients=[trust_list.attributed_to],
            on_stream=False,
        )
        found = await trust_subscriptions.find(connection, url)
    assert found is not None
    return found


async def unsubscribe(pool: asyncpg.Pool, node: NodeContext, url: str, who: str) -> list[str]:
    """Leave a list: what this node held only from it goes (the place's own decisions and other
    lists' rows stay); the publisher gets an Undo. The domains whose row from it was lifted."""
    async with pool.acquire() as connection, connection.transaction():
        subscription = await trust_subscriptions.remove(connection, url)
        if subscription is None:
            raise TrustListError("trust-list-not-followed", "not subscribed to this list")
        lifted = []
        for row in await domain_policies.policies(connection, source=url):
            if await lift_policy(
                connection, domain=row.domain, source=url, who=who, urls=node.urls
            ):
                lifted.append(row.domain)
        await log_action(connection, who, "trust.unsubscribe", url, {"lifted": lifted})
        await publish(
            connection,
            node.urls,
            APPLICATION,
            {
                "type": "Undo",
                "to": [subscription.publisher],
                "object": {
                    "id": subscription.follow_activity_id,
                    "type": "Follow",
                    "actor": node.urls.actor(APPLICATION),
                    "object": url,
                },
            },
            to_followers=False,
            recipients=[subscription.publisher],
            on_stream=False,
        )
    return lifted


async def decide(
    pool: asyncpg.Pool, node: NodeContext, proposal_id: int, *, accept: bool, who: str
) -> Proposal | None:
    """Accept (apply, as coming from the list) or refuse a pending proposal."""
    async with pool.acquire() as connection, connection.transaction():
        proposal = await trust_subscriptions.decide(
            connection, proposal_id, "accepted" if accept else "refused", who
        )
        if proposal is None:
            return None
        if accept and proposal.change == "set" and proposal.severity is not None:
            await apply_policy(
                connection,
                domain=proposal.domain,
                severity=proposal.severity,  # type: ignore[arg-type]
                source=proposal.list_url,
                who=who,
                public_reason=proposal.public_reason,
            )
        elif accept:
            await lift_policy(connection, domain=proposal.domain, source=proposal.list_url, who=who)
        else:
            await log_action(
                connection,
                who,
                "trust.refuse",
                proposal.domain,
                {"list": proposal.list_url, "change": proposal.change},
            )
    return proposal


async def refresh(pool: asyncpg.Pool, node: NodeContext, url: str) -> bool:
    """Fetch a list again and take it if newer; a failure is kept on the subscription."""
    try:
        trust_list = await fetch_verified(node, url)
        async with pool.acquire() as connection:
            return await take(connection, node, url, trust_list)
    except TrustListError as error:
        refusal = error
    except ActorUnavailable as error:
        refusal = TrustListError("trust-list-publisher-unavailable", str(error), str(error))
    log.warning("trust list refused", url=url, error=refusal.message)
    async with pool.acquire() as connection:
        await trust_subscriptions.fetch_failed(
            connection, url, refusal.code, refusal.message, refusal.detail
        )
    return False


async def log_action(
    connection: DbConnection, who: str, action: str, target: str, details: dict[str, object]
) -> None:
    await moderation_log.record(
        connection, who=who, action=action, target=target, details=dict(details)
    )


class ListUpdates:
    """An `Update` of a list we follow, from its publisher: refetched at the worker's next round
    (the embedded copy is not taken: the list is read from its id and its proof checked, as on
    every refresh)."""

    async def created(
        self,
        connection: DbConnection,
        node: NodeContext,
        activity: ReceivedActivity,
        document: dict[str, Any],
    ) -> Outcome:
        return NothingImported("a collection is not created here")

    async def updated(
        self,
        connection: DbConnection,
        node: NodeContext,
        activity: ReceivedActivity,
        document: dict[str, Any],
    ) -> Outcome:
        url = document.get("id")
        if isinstance(url, str) and await trust_subscriptions.due_now(
            connection, url, activity.actor_uri
        ):
            log.info("trust list changed; refetching", url=url)
            return NothingImported("a trust list we follow changed: refetched by the worker")
        return NothingImported("not a trust list we follow")

    async def deleted(
        self,
        connection: DbConnection,
        node: NodeContext,
        activity: ReceivedActivity,
        object_id: str,
    ) -> Removed | NothingImported:
        return NothingImported("a trust list is left by unsubscribing")


objects.register(("OrderedCollection",), ListUpdates())
