"""A member's download of everything the node holds about them (JSON)."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from server.storage.accounts import Account
from server.storage.personal_data import member_rows
from server.urls import NodeUrls


async def personal_data(pool: asyncpg.Pool, urls: NodeUrls, account: Account) -> dict[str, Any]:
    async with pool.acquire() as connection:
        found = await member_rows(
            connection, account.id, account.username, urls.actor(account.username)
        )
    for profile in found["profile"]:
        profile["skills"] = json.loads(profile["skills"])
        profile["links"] = json.loads(profile["links"])
    return {"node": urls.base, "actor": urls.actor(account.username), **found}
