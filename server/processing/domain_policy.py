"""Domain policies: applying and lifting them (the one entry point), and checking them fast.

`apply_policy` and `lift_policy` are what every moderation path calls (the API, the web pages,
the CLI through the API, trust lists, the reports queue): they write the row, write the
moderation log and, when a domain becomes suspended, purge what we hold from it, all in the
caller's transaction.

`DomainPolicies` is what request paths read: every process holds the table in memory and reads
it again when PostgreSQL notifies a change (a trigger on the table, see migration 0028), so the
check on each inbox request, fetch and delivery is a dictionary lookup, never a query.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field

import asyncpg
import structlog

from federation.hosts import InvalidHost, InvalidUrl, canonical_host
from server.database import DbConnection
from server.listening import keep_listening
from server.processing import live_feed
from server.processing.domain_purge import purge_domain
from server.processing.refused_deliveries import give_up_refused
from server.storage import domain_policies as storage
from server.storage import moderation_log, stream
from server.storage.domain_policies import LOCAL, DomainPolicy, Severity
from server.urls import NodeUrls

log = structlog.get_logger(__name__)

CHANNEL = "domain_policies"


class InvalidPolicy(ValueError):
    """A domain or severity we cannot store; the message says why."""


def canonical_domain(text: str) -> str:
    """The stored form of a domain typed by a person or read from a list (`Example.ORG.` ->
    `example.org`); raises InvalidPolicy for anything that is not a host."""
    text = text.strip()
    if not text:
        raise InvalidPolicy("a domain is needed")
    if "*" in text:
        raise InvalidPolicy("no wildcards: a policy on a domain already covers its subdomains")
    try:
        return canonical_host(text)
    except (InvalidHost, InvalidUrl) as error:
        raise InvalidPolicy(str(error)) from error


async def apply_policy(
    connection: DbConnection,
    *,
    domain: str,
    severity: Severity,
    source: str = LOCAL,
    who: str,
    public_reason: str = "",
    private_reason: str = "",
    urls: NodeUrls | None = None,
) -> Severity | None:
    """Set `source`'s row for `domain` and act on it; the domain's effective severity after.

    Runs in the caller's transaction. When the effective severity becomes `suspend`, every
    thing held from the domain and its subdomains is purged in that transaction too.
    `domain` must be canonical (`canonical_domain`). `urls`: see `purge_domain`.
    """
    before = storage.effective(await storage.policies_of(connection, domain))
    await storage.set_policy(
        connection,
        domain=domain,
        severity=severity,
        source=source,
        public_reason=public_reason,
        private_reason=private_reason,
    )
    after = storage.effective(await storage.policies_of(connection, domain))
    details: dict[str, object] = {"severity": severity, "effective": after}
    if source != LOCAL:
        details["source"] = source
    if private_reason:
        details["private_reason"] = private_reason
    if after == "suspend" and before != "suspend":
        details["purged"] = await purge_domain(connection, domain, urls)
    elif after != before and (taken := await off_the_wall(connection, domain)):
        details["off_the_wall"] = taken
    await moderation_log.record(
        connection,
        who=who,
        action=f"domain.{severity}",
        target=domain,
        reason=public_reason,
        details=details,
    )
    return after


async def lift_policy(
    connection: DbConnection,
    *,
    domain: str,
    source: str = LOCAL,
    who: str,
    urls: NodeUrls | None = None,
) -> bool:
    """Remove `source`'s row for `domain` (what was purged stays gone); False when none was.
    Removing the place's own `allow` may leave a trust list's `suspend` in force: the purge then
    runs as when the suspension came."""
    before = storage.effective(await storage.policies_of(connection, domain))
    removed = await storage.remove_policy(connection, domain=domain, source=source)
    if removed:
        after = storage.effective(await storage.policies_of(connection, domain))
        details: dict[str, object] = {"effective": after}
        if source != LOCAL:
            details["source"] = source
        if after == "suspend" and before != "suspend":
            details["purged"] = await purge_domain(connection, domain, urls)
        elif after != before and (taken := await off_the_wall(connection, domain)):
            details["off_the_wall"] = taken
        await moderation_log.record(
            connection, who=who, action="domain.remove", target=domain, details=details
        )
    return removed


async def off_the_wall(connection: DbConnection, domain: str) -> int:
    """After a change of `domain`'s policy: take off the wall what the `limit` rule now keeps
    off it, history and open screens alike (notices of removal), as `activities.off_the_wall`
    keeps new items off. The wall only shows recent items: what a lifted limit would show again
    is not brought back (the agenda, the directory and the people search are filtered as they
    are read, and show it again at once). How many items went."""
    rule = storage.limit_rule(effective_by_domain(await storage.policies(connection)))
    if not rule:
        return 0
    items = await stream.limited_items(connection, domain, rule)
    for object_id, place in items:
        await live_feed.withdraw(connection, [object_id], place=place)
    return len(items)


@dataclass
class DomainPolicies:
    """The policies in memory, for checks on every request. `limited_federation`: only hosts
    an `allow` covers are federated with (a node setting, see Settings.limited_federation)."""

    pool: asyncpg.Pool
    limited_federation: bool = False
    own_hosts: frozenset[str] = frozenset()
    _severities: dict[str, Severity] = field(default_factory=dict)
    _limit_rule: storage.LimitRule = field(default_factory=storage.LimitRule)
    _stale: bool = True
    _loading: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Reloads under way: the loop keeps only weak references to tasks.
    _reloads: set[asyncio.Task[None]] = field(default_factory=set)
    _heard_since_start: bool = False

    async def refresh(self) -> None:
        """Read the table again (at start, on a notification, after a change in this process).
        In limited federation mode, what waits for a host now refused is given up then."""
        async with self._loading:
            self._stale = False
            async with self.pool.acquire() as connection:
                rows = await storage.policies(connection)
            self._severities = effective_by_domain(rows)
            self._limit_rule = storage.limit_rule(self._severities)
        if self.limited_federation:
            await give_up_refused(self.pool, self.refuses)

    def changed(self) -> None:
        """A notification: another process (or this one) changed the table."""
        self._stale = True
        task = asyncio.get_running_loop().create_task(self._refresh_quietly())
        self._reloads.add(task)
        task.add_done_callback(self._reloads.discard)

    async def _refresh_quietly(self) -> None:
        try:
            if self._stale:
                await self.refresh()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            # The listener calls `changed` again once it listens again after the outage.
            log.warning("domain policies not reloaded", error=str(error))

    async def listen(self, stop: asyncio.Event) -> None:
        await keep_listening(
            self.pool, CHANNEL, self.changed, stop, name="domain policies",
            on_listening=self._listens,
        )  # fmt: skip

    def _listens(self) -> None:
        self._heard_since_start = True

    def listening(self) -> bool:
        """Whether the LISTEN was established at least once (for tests and health)."""
        return self._heard_since_start

    def severity(self, host: str) -> Severity | None:
        """The policy that applies to `host`: the most specific domain with a policy decides."""
        for domain in storage.covering(host):
            found = self._severities.get(domain)
            if found is not None:
                return found
        return None

    def refuses(self, host: str) -> bool:
        """True when nothing may be received from, fetched from or delivered to `host`."""
        if host in self.own_hosts:
            return False
        found = self.severity(host)
        if found == "suspend":
            return True
        return self.limited_federation and found != "allow"

    def limits(self, host: str) -> bool:
        """True when `host`'s content stays out of agenda, directory and wall unless followed
        (the same rule as the agenda's query, see `LimitRule`)."""
        return self._limit_rule.hides(host)

    def limits_url(self, url: str) -> bool:
        try:
            return self.limits(canonical_host(url))
        except (InvalidHost, InvalidUrl):
            return False

    @property
    def limit_rule(self) -> storage.LimitRule:
        """For queries that hide limited content (the agenda)."""
        return self._limit_rule


def effective_by_domain(rows: list[DomainPolicy]) -> dict[str, Severity]:
    by_domain: dict[str, list[DomainPolicy]] = defaultdict(list)
    for row in rows:
        by_domain[row.domain].append(row)
    found: dict[str, Severity] = {}
    for domain, domain_rows in by_domain.items():
        severity = storage.effective(domain_rows)
        if severity is not None:
            found[domain] = severity
    return found
