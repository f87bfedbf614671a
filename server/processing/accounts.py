"""Creating accounts: each gets a Person actor, private until its owner shares it."""

from __future__ import annotations

import asyncpg

from server.node_setup import new_key_pairs_for
from server.passwords import hash_password
from server.storage import accounts, keys, local_actors
from server.storage.accounts import Account
from server.storage.local_actors import RESERVED_NAMES


class AccountError(Exception):
    """The account cannot be created; `field` says which input is at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


async def create_account(
    pool: asyncpg.Pool, username: str, email: str, password: str, role: str
) -> Account:
    if username in RESERVED_NAMES:
        raise AccountError("username", f"{username!r} is reserved")
    password_hash = hash_password(password)
    pairs = new_key_pairs_for(username)
    async with pool.acquire() as connection, connection.transaction():
        if await accounts.find_account(connection, username) is not None:
            raise AccountError("username", f"{username!r} is already taken")
        if await local_actors.find_local_actor(connection, username) is not None:
            raise AccountError("username", f"{username!r} is already taken")
        account = await accounts.upsert_account(connection, username, email, role, password_hash)
        await local_actors.upsert_local_actor(connection, username, "Person", username, account.id)
        for pair in pairs:
            await keys.replace_key_pair(connection, pair)
    return account


async def all_accounts(pool: asyncpg.Pool) -> list[Account]:
    async with pool.acquire() as connection:
        return await accounts.list_accounts(connection)
