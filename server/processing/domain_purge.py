"""Purging what we hold from a suspended domain (filled in by the next commit)."""

from __future__ import annotations

from server.database import DbConnection


async def purge_domain(connection: DbConnection, domain: str) -> dict[str, int]:
    """Remove everything held from `domain` and its subdomains; counts of what went."""
    return {}
