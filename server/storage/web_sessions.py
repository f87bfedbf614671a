"""Web sessions (by the hash of their cookie) and invitations (by the hash of their link)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.database import DbConnection
from server.storage.accounts import Account


@dataclass(frozen=True)
class WebSession:
    account: Account
    csrf_token: str


@dataclass(frozen=True)
class Invitation:
    username: str
    email: str
    role: str
    expires_at: datetime


async def store_session(
    connection: DbConnection, id_hash: str, account_id: int, csrf_token: str, expires_at: datetime
) -> None:
    await connection.execute(
        "INSERT INTO web_sessions (id_hash, account_id, csrf_token, expires_at) "
        "VALUES ($1, $2, $3, $4)",
        id_hash,
        account_id,
        csrf_token,
        expires_at,
    )


async def find_session(connection: DbConnection, id_hash: str) -> WebSession | None:
    row = await connection.fetchrow(
        """
        SELECT a.id, a.username, a.email, a.role, s.csrf_token FROM web_sessions s
        JOIN accounts a ON a.id = s.account_id
        WHERE s.id_hash = $1 AND s.expires_at > now()
        """,
        id_hash,
    )
    if row is None:
        return None
    values = dict(row)
    csrf_token = values.pop("csrf_token")
    return WebSession(Account(**values), csrf_token)


async def delete_session(connection: DbConnection, id_hash: str) -> None:
    await connection.execute("DELETE FROM web_sessions WHERE id_hash = $1", id_hash)


async def delete_sessions_of(
    connection: DbConnection, account_id: int, keep_hash: str | None = None
) -> int:
    """Every session of the account (but `keep_hash`, the one asking); how many ended."""
    result: str = await connection.execute(
        "DELETE FROM web_sessions WHERE account_id = $1 AND id_hash IS DISTINCT FROM $2",
        account_id,
        keep_hash,
    )
    return int(result.split()[-1])


async def set_password_hash(connection: DbConnection, account_id: int, password_hash: str) -> None:
    await connection.execute(
        "UPDATE accounts SET password_hash = $2 WHERE id = $1", account_id, password_hash
    )


async def store_invitation(
    connection: DbConnection,
    token_hash: str,
    invitation: Invitation,
    invited_by: int | None,
) -> None:
    await connection.execute(
        "INSERT INTO invitations (token_hash, username, email, role, invited_by, expires_at) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        token_hash,
        invitation.username,
        invitation.email,
        invitation.role,
        invited_by,
        invitation.expires_at,
    )


async def find_invitation(
    connection: DbConnection, token_hash: str, *, for_update: bool = False
) -> Invitation | None:
    """A usable invitation: not used yet, not expired."""
    lock = " FOR UPDATE" if for_update else ""
    row = await connection.fetchrow(
        "SELECT username, email, role, expires_at FROM invitations "
        f"WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now(){lock}",
        token_hash,
    )
    return None if row is None else Invitation(**dict(row))


async def mark_invitation_used(connection: DbConnection, token_hash: str) -> None:
    await connection.execute(
        "UPDATE invitations SET used_at = now() WHERE token_hash = $1", token_hash
    )
