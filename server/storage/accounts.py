"""Accounts of the people who log in to the node."""

from __future__ import annotations

from dataclasses import dataclass

from server.database import DbConnection


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    email: str
    role: str


async def upsert_account(
    connection: DbConnection, username: str, email: str, role: str, password_hash: str
) -> Account:
    row = await connection.fetchrow(
        """
        INSERT INTO accounts (username, email, role, password_hash) VALUES ($1, $2, $3, $4)
        ON CONFLICT (username) DO UPDATE
        SET email = EXCLUDED.email, role = EXCLUDED.role, password_hash = EXCLUDED.password_hash
        RETURNING id, username, email, role
        """,
        username,
        email,
        role,
        password_hash,
    )
    assert row is not None  # INSERT ... RETURNING always yields the row
    return Account(**dict(row))


async def find_account(connection: DbConnection, username: str) -> Account | None:
    row = await connection.fetchrow(
        "SELECT id, username, email, role FROM accounts WHERE username = $1", username
    )
    return None if row is None else Account(**dict(row))


async def count_accounts(connection: DbConnection) -> int:
    count: int = await connection.fetchval("SELECT count(*) FROM accounts")
    return count


async def password_hash_of(connection: DbConnection, username: str) -> tuple[Account, str] | None:
    row = await connection.fetchrow(
        "SELECT id, username, email, role, password_hash FROM accounts WHERE username = $1",
        username,
    )
    if row is None:
        return None
    values = dict(row)
    password_hash = values.pop("password_hash")
    return Account(**values), password_hash


async def list_accounts(connection: DbConnection) -> list[Account]:
    rows = await connection.fetch("SELECT id, username, email, role FROM accounts ORDER BY id")
    return [Account(**dict(row)) for row in rows]


async def delete_account(connection: DbConnection, account_id: int) -> bool:
    """The account and, by cascade, its Person actor, keys, tokens, profile and outbox."""
    result: str = await connection.execute("DELETE FROM accounts WHERE id = $1", account_id)
    return result != "DELETE 0"


async def count_role(connection: DbConnection, role: str) -> int:
    count: int = await connection.fetchval("SELECT count(*) FROM accounts WHERE role = $1", role)
    return count


async def find_account_by_id(connection: DbConnection, account_id: int) -> Account | None:
    row = await connection.fetchrow(
        "SELECT id, username, email, role FROM accounts WHERE id = $1", account_id
    )
    return None if row is None else Account(**dict(row))


async def set_role(connection: DbConnection, account_id: int, role: str) -> None:
    await connection.execute("UPDATE accounts SET role = $2 WHERE id = $1", account_id, role)
