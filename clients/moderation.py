"""Client calls for moderation: domain policies, Mastodon's domain-block CSV, the log."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from clients.api import ApiError, MaillageClient
from schemas.api_moderation import (
    DomainBlocksCsv,
    DomainImportOut,
    DomainPolicyIn,
    DomainPolicyOut,
    ModerationLogEntryOut,
)

DOMAINS = "/api/v1/moderation/domains"


async def domain_policies(client: MaillageClient) -> list[DomainPolicyOut]:
    return await client.typed_list(DomainPolicyOut, "GET", DOMAINS)


async def set_domain_policy(
    client: MaillageClient, domain: str, policy: DomainPolicyIn
) -> DomainPolicyOut:
    path = f"{DOMAINS}/{quote(domain, safe='')}"
    return await client.typed(DomainPolicyOut, "PUT", path, policy)


async def remove_domain_policy(client: MaillageClient, domain: str) -> None:
    await client.request("DELETE", f"{DOMAINS}/{quote(domain, safe='')}")


async def import_domain_blocks(client: MaillageClient, text: str) -> DomainImportOut:
    return await client.typed(
        DomainImportOut, "POST", f"{DOMAINS}/import", DomainBlocksCsv(csv=text)
    )


async def export_domain_blocks(client: MaillageClient) -> str:
    text = await client.request("GET", f"{DOMAINS}/export")
    if not isinstance(text, str):
        raise ApiError(0, "the node did not answer a CSV file")
    return text


async def moderation_log(
    client: MaillageClient, limit: int = 100, before: int | None = None
) -> list[ModerationLogEntryOut]:
    query = {"limit": str(limit), **({"before": str(before)} if before else {})}
    return await client.typed_list(
        ModerationLogEntryOut, "GET", f"/api/v1/moderation/log?{urlencode(query)}"
    )
