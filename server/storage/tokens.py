"""API bearer tokens, stored as hashes."""

from __future__ import annotations

from datetime import datetime

from server.database import DbConnection
from server.storage.accounts import Account


async def store_token(
    connection: DbConnection, token_hash: str, account_id: int, expires_at: datetime
) -> None:
    await connection.execute(
        "INSERT INTO api_tokens (token_hash, account_id, expires_at) VALUES ($1, $2, $3)",
        token_hash,
        account_id,
        expires_at,
    )


async def account_for_token(connection: DbConnection, token_hash: str) -> Account | None:
    row = await connection.fetchrow(
        """
        SELECT a.id, a.username, a.email, a.role FROM api_tokens t
        JOIN accounts a ON a.id = t.account_id
        WHERE t.token_hash = $1 AND t.expires_at > now()
        """,
        token_hash,
    )
    return None if row is None else Account(**dict(row))


async def delete_tokens_of(connection: DbConnection, account_id: int) -> None:
    """A password change ends the API tokens given for the old one."""
    await connection.execute("DELETE FROM api_tokens WHERE account_id = $1", account_id)
