"""What a node process runs on: the pool, the fetcher, the signer, the remote actor directory.

Both the web application and the operator's commands open them the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import asyncpg

from federation.fetcher import FetchPolicy, SafeFetcher
from server.config import Settings
from server.lifecycle import open_pool
from server.login_throttle import LoginThrottle
from server.processing import reactions
from server.processing.context import NodeContext
from server.processing.domain_policy import DomainPolicies
from server.processing.inbox_writer import InboxWriter
from server.processing.remote_actors import RemoteActorDirectory
from server.processing.signing import RequestSigner
from server.urls import NodeUrls

# The actor directory tells what it learns of actors to the modules that react to it.
REGISTERED_REACTIONS = reactions.REACTING_MODULES


@dataclass(frozen=True)
class NodeServices:
    settings: Settings
    urls: NodeUrls
    pool: asyncpg.Pool
    fetcher: SafeFetcher
    signer: RequestSigner
    actors: RemoteActorDirectory
    inbox_writer: InboxWriter
    # In memory, kept current by NOTIFY: read on every inbound request, fetch and delivery.
    domain_policies: DomainPolicies
    # Per process, shared by every password login (API and web page).
    login_throttle: LoginThrottle = field(default_factory=LoginThrottle)
    # Idempotency keys whose failed request could not release them (the database was down):
    # this process may take them over at once (server.routes.idempotency).
    unreleased_keys: set[tuple[int, str]] = field(default_factory=set)

    @property
    def node(self) -> NodeContext:
        return NodeContext(self.urls, self.fetcher, self.actors, self.domain_policies.limits)


def fetch_policy(
    settings: Settings, urls: NodeUrls, policies: DomainPolicies | None = None
) -> FetchPolicy:
    return FetchPolicy(
        allow_private_network=settings.development,
        refuses_host=policies.refuses if policies is not None else None,
        own_origins=frozenset({urls.base}),
        host_resolver_overrides=settings.dev_hosts if settings.development else {},
    )


@contextlib.asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[NodeServices]:
    urls = NodeUrls(settings.public_url)
    async with open_pool(settings) as pool:
        signer = RequestSigner(pool, urls)
        await signer.load()
        policies = DomainPolicies(
            pool,
            limited_federation=settings.limited_federation,
            own_hosts=frozenset({urls.host}),
        )
        await policies.refresh()
        stop = asyncio.Event()
        listening = asyncio.create_task(policies.listen(stop), name="domain-policies")
        try:
            async with SafeFetcher(fetch_policy(settings, urls, policies)) as fetcher:
                yield NodeServices(
                    settings=settings,
                    urls=urls,
                    pool=pool,
                    fetcher=fetcher,
                    signer=signer,
                    actors=RemoteActorDirectory(pool, fetcher, signer, refuses=policies.refuses),
                    inbox_writer=InboxWriter(pool),
                    domain_policies=policies,
                )
        finally:
            stop.set()
            await listening
