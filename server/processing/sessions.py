"""Logging in to the API: a password gives a bearer token; a token gives the account."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import asyncpg

from server.passwords import hash_password, password_matches
from server.storage import accounts, tokens
from server.storage.accounts import Account

TOKEN_LIFETIME = timedelta(days=30)
# Verifying against a real hash when the account does not exist keeps the answer's timing from
# telling which usernames exist.
_DECOY_HASH = hash_password(secrets.token_urlsafe(16))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def authenticate(pool: asyncpg.Pool, username: str, password: str) -> Account | None:
    """The account whose password this is: the one check of the API's and the pages' sign-in."""
    async with pool.acquire() as connection:
        found = await accounts.password_hash_of(connection, username)
    if found is None:
        password_matches(_DECOY_HASH, password)
        return None
    account, stored_hash = found
    return account if password_matches(stored_hash, password) else None


async def log_in(
    pool: asyncpg.Pool, username: str, password: str
) -> tuple[str, datetime, Account] | None:
    account = await authenticate(pool, username, password)
    if account is None:
        return None
    token = secrets.token_urlsafe(32)
    expires_at = datetime.now(UTC) + TOKEN_LIFETIME
    async with pool.acquire() as connection:
        await tokens.store_token(connection, token_hash(token), account.id, expires_at)
    return token, expires_at, account


async def account_for(pool: asyncpg.Pool, token: str) -> Account | None:
    async with pool.acquire() as connection:
        return await tokens.account_for_token(connection, token_hash(token))
