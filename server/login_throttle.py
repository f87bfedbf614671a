"""Password logins throttled per account and per client address (issue 14, item 4).

Every attempt takes a token from two buckets before the password is even hashed: the account's
(the username as typed, case-folded) and the client address's. A login that succeeds gives both
back, so only failures count: an account allows `ACCOUNT_RATE.burst` wrong passwords in a row,
then one a minute; an address `ADDRESS_RATE.burst`, then one every 15 s, whichever accounts it
tries. Taking the token first means a burst of concurrent guesses is counted before any of them
is checked. Past that, the answer is 429 with `Retry-After`.

A stranger can keep one account throttled by failing on purpose; the account's member then waits
the `Retry-After` (a minute) like the attacker, which is the trade Mastodon and GoToSocial make
too. State lives in the process, like the inbox limits (server/ratelimit.py): with N web
processes an address gets N times the allowance.

`throttled` is the one path every password login takes: the REST API's
`POST /api/v1/auth/login` (`attempt_login`) and the web sign-in page (`check_password`).
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

import asyncpg

from server.processing.sessions import authenticate, log_in
from server.ratelimit import Rate, TokenBuckets
from server.storage.accounts import Account

T = TypeVar("T")
ACCOUNT_RATE = Rate(per_second=1 / 60, burst=10)
ADDRESS_RATE = Rate(per_second=1 / 15, burst=30)
# Bucket keys are bounded: a username longer than any real one is still one key.
MAX_KEY_LENGTH = 200


class LoginThrottled(Exception):
    """Too many failed logins for this account or from this address; retry after that long."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; retry in {retry_after} s")
        self.retry_after = retry_after
        self.message = str(self)


@dataclass
class LoginThrottle:
    accounts: TokenBuckets = field(default_factory=lambda: TokenBuckets(ACCOUNT_RATE))
    addresses: TokenBuckets = field(default_factory=lambda: TokenBuckets(ADDRESS_RATE))

    def _keys(self, username: str, address: str) -> list[tuple[TokenBuckets, str]]:
        return [
            (self.accounts, username.casefold()[:MAX_KEY_LENGTH]),
            (self.addresses, address[:MAX_KEY_LENGTH]),
        ]

    def take(self, username: str, address: str) -> None:
        """Take a token from both buckets, or raise `LoginThrottled` and take none."""
        waits = [buckets.wait_time(key) for buckets, key in self._keys(username, address)]
        if max(waits) > 0:
            raise LoginThrottled(max(1, math.ceil(max(waits))))
        for buckets, key in self._keys(username, address):
            buckets.charge(key)

    def give_back(self, username: str, address: str) -> None:
        for buckets, key in self._keys(username, address):
            buckets.give_back(key)


async def throttled(
    throttle: LoginThrottle,
    username: str,
    address: str,
    check: Callable[[], Awaitable[T | None]],
) -> T | None:
    """Run the password `check` throttled: raises `LoginThrottled` past the limits (nothing is
    checked then); a success gives the tokens back."""
    throttle.take(username, address)
    result = await check()
    if result is not None:
        throttle.give_back(username, address)
    return result


async def attempt_login(
    pool: asyncpg.Pool, throttle: LoginThrottle, username: str, password: str, address: str
) -> tuple[str, datetime, Account] | None:
    """Log in as `sessions.log_in` does (an API token), throttled; None for a wrong password."""
    return await throttled(throttle, username, address, lambda: log_in(pool, username, password))


async def check_password(
    pool: asyncpg.Pool, throttle: LoginThrottle, username: str, password: str, address: str
) -> Account | None:
    """The web sign-in's password check (`sessions.authenticate`), throttled the same way."""
    return await throttled(
        throttle, username, address, lambda: authenticate(pool, username, password)
    )
