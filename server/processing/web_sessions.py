"""Signing in to the pages: server-side sessions, password changes, invitations by link.

A session cookie holds a random value; the database holds only its hash, with the account and the
CSRF token of the session's forms. Ending a session deletes its row, so a revoked cookie is dead
everywhere at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import asyncpg

from server.passwords import hash_password, password_matches
from server.processing.accounts import create_account
from server.storage import accounts, tokens, web_sessions
from server.storage.accounts import Account
from server.storage.web_sessions import Invitation, WebSession

SESSION_LIFETIME = timedelta(days=30)
INVITATION_LIFETIME = timedelta(days=7)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def open_session(pool: asyncpg.Pool, account: Account) -> str:
    """A new session for the account; returns the cookie's value."""
    cookie = secrets.token_urlsafe(32)
    async with pool.acquire() as connection:
        await web_sessions.store_session(
            connection,
            digest(cookie),
            account.id,
            secrets.token_urlsafe(32),
            datetime.now(UTC) + SESSION_LIFETIME,
        )
    return cookie


async def session_for(pool: asyncpg.Pool, cookie: str) -> WebSession | None:
    async with pool.acquire() as connection:
        return await web_sessions.find_session(connection, digest(cookie))


async def close_session(pool: asyncpg.Pool, cookie: str) -> None:
    async with pool.acquire() as connection:
        await web_sessions.delete_session(connection, digest(cookie))


async def close_other_sessions(pool: asyncpg.Pool, account: Account, cookie: str) -> int:
    """ "Sign out everywhere else": every session of the account but this one."""
    async with pool.acquire() as connection:
        return await web_sessions.delete_sessions_of(connection, account.id, digest(cookie))


async def change_password(
    pool: asyncpg.Pool, account: Account, current: str, new: str, cookie: str
) -> bool:
    """False if `current` is not the password; else set `new` and end the other sessions."""
    new_hash = hash_password(new)
    async with pool.acquire() as connection, connection.transaction():
        found = await accounts.password_hash_of(connection, account.username)
        if found is None or not password_matches(found[1], current):
            return False
        await web_sessions.set_password_hash(connection, account.id, new_hash)
        await web_sessions.delete_sessions_of(connection, account.id, digest(cookie))
        await tokens.delete_tokens_of(connection, account.id)
    return True


async def invite(
    pool: asyncpg.Pool, username: str, email: str, role: str, invited_by: Account
) -> str:
    """A single-use invitation; returns the secret of its link."""
    secret = secrets.token_urlsafe(32)
    invitation = Invitation(username, email, role, datetime.now(UTC) + INVITATION_LIFETIME)
    async with pool.acquire() as connection:
        await web_sessions.store_invitation(connection, digest(secret), invitation, invited_by.id)
    return secret


async def invitation_for(pool: asyncpg.Pool, secret: str) -> Invitation | None:
    async with pool.acquire() as connection:
        return await web_sessions.find_invitation(connection, digest(secret))


async def accept_invitation(pool: asyncpg.Pool, secret: str, password: str) -> Account | None:
    """The account the invitation names, created with the person's own password; None if the
    link is unknown, used or expired. Raises AccountError if the name was taken meanwhile."""
    async with pool.acquire() as connection, connection.transaction():
        # Held until the account exists: a second use of the same link waits, then finds it used.
        invitation = await web_sessions.find_invitation(connection, digest(secret), for_update=True)
        if invitation is None:
            return None
        account = await create_account(
            pool, invitation.username, invitation.email, password, invitation.role
        )
        await web_sessions.mark_invitation_used(connection, digest(secret))
    return account
