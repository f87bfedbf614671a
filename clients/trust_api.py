"""The client's calls for trust lists (`/api/v1/moderation/trust-lists`), beside clients.api."""

from __future__ import annotations

from clients.api import MaillageClient
from schemas.api_moderation import DomainBlocksCsv, DomainImportOut
from schemas.trust_lists import (
    ProposalOut,
    PublishedDomainIn,
    PublishedEntryIn,
    PublishedListOut,
    PublishSettingsIn,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionUrlIn,
    UnsubscribedOut,
)

BASE = "/api/v1/moderation/trust-lists"


async def subscriptions(client: MaillageClient) -> list[SubscriptionOut]:
    return await client.typed_list(SubscriptionOut, "GET", BASE)


async def subscribe(client: MaillageClient, url: str, mode: str) -> SubscriptionOut:
    body = SubscriptionIn.model_validate({"url": url, "mode": mode})
    return await client.typed(SubscriptionOut, "POST", BASE, body)


async def unsubscribe(client: MaillageClient, url: str) -> UnsubscribedOut:
    return await client.typed(UnsubscribedOut, "DELETE", BASE, SubscriptionUrlIn(url=url))


async def proposals(client: MaillageClient, state: str = "pending") -> list[ProposalOut]:
    return await client.typed_list(ProposalOut, "GET", f"{BASE}/proposals?state={state}")


async def decide(client: MaillageClient, proposal_id: int, accept: bool) -> ProposalOut:
    verb = "accept" if accept else "refuse"
    return await client.typed(ProposalOut, "POST", f"{BASE}/proposals/{proposal_id}/{verb}")


async def published(client: MaillageClient) -> PublishedListOut:
    return await client.typed(PublishedListOut, "GET", f"{BASE}/published")


async def configure(
    client: MaillageClient, *, published: bool, name: str, summary: str
) -> PublishedListOut:
    body = PublishSettingsIn(published=published, name=name, summary=summary)
    return await client.typed(PublishedListOut, "POST", f"{BASE}/published", body)


async def put_entry(
    client: MaillageClient, domain: str, policy: str, public_reason: str
) -> PublishedListOut:
    body = PublishedEntryIn.model_validate(
        {"domain": domain, "policy": policy, "public_reason": public_reason}
    )
    return await client.typed(PublishedListOut, "POST", f"{BASE}/published/entries", body)


async def remove_entry(client: MaillageClient, domain: str) -> PublishedListOut:
    body = PublishedDomainIn(domain=domain)
    return await client.typed(PublishedListOut, "DELETE", f"{BASE}/published/entries", body)


async def import_csv(client: MaillageClient, text: str) -> DomainImportOut:
    body = DomainBlocksCsv(csv=text)
    return await client.typed(DomainImportOut, "POST", f"{BASE}/published/import", body)
