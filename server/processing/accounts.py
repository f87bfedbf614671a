"""Creating accounts: each gets a Person actor, private until its owner shares it."""

from __future__ import annotations

import asyncpg

from server.node_setup import new_key_pairs_for
from server.passwords import hash_password
from server.processing.errors import ProcessingError
from server.storage import accounts, keys, local_actors
from server.storage.accounts import Account
from server.storage.local_actors import RESERVED_NAMES


class AccountError(ProcessingError):
    """The account cannot be created or changed; `field` says which input is at fault."""

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(code, message)
        self.field = field


async def create_account(
    pool: asyncpg.Pool, username: str, email: str, password: str, role: str
) -> Account:
    if username in RESERVED_NAMES:
        raise AccountError("username", "name-reserved", f"{username!r} is reserved")
    password_hash = hash_password(password)
    pairs = new_key_pairs_for(username)
    async with pool.acquire() as connection, connection.transaction():
        if await accounts.find_account(connection, username) is not None:
            raise AccountError("username", "name-taken", f"{username!r} is already taken")
        if await local_actors.find_local_actor(connection, username) is not None:
            raise AccountError("username", "name-taken", f"{username!r} is already taken")
        account = await accounts.upsert_account(connection, username, email, role, password_hash)
        await local_actors.upsert_local_actor(connection, username, "Person", username, account.id)
        for pair in pairs:
            await keys.replace_key_pair(connection, pair)
    return account


async def all_accounts(pool: asyncpg.Pool) -> list[Account]:
    async with pool.acquire() as connection:
        return await accounts.list_accounts(connection)


async def change_role(pool: asyncpg.Pool, account_id: int, role: str) -> Account | None:
    """Give the account another role; the node always keeps one administrator."""
    async with pool.acquire() as connection, connection.transaction():
        # One change of roles at a time: two demotions at once cannot leave no administrator.
        await connection.execute("LOCK TABLE accounts IN SHARE ROW EXCLUSIVE MODE")
        account = await accounts.find_account_by_id(connection, account_id)
        if account is None:
            return None
        if (
            account.role == "administrator"
            and role != "administrator"
            and await accounts.count_role(connection, "administrator") <= 1
        ):
            raise AccountError(
                "role", "last-administrator", "the last administrator keeps their role"
            )
        await accounts.set_role(connection, account_id, role)
    return Account(account.id, account.username, account.email, role)
