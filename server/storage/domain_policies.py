"""What the place (or a trust list it follows) decided about other domains.

One row per (domain, source): source '' is the place's own decision, any other source the URL
of the trust list the row came from. `effective` tells which row counts for a domain, and
`covering` which domains' rows apply to a host: a policy on `example.org` covers
`a.example.org` and `example.org:8443`, never the other way round.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Literal, get_args

from server.database import DbConnection

Severity = Literal["suspend", "limit", "allow"]
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
LOCAL = ""
# Among trust lists the most severe row wins; a local row wins outright.
RANK: dict[str, int] = {"allow": 0, "limit": 1, "suspend": 2}


@dataclass(frozen=True)
class DomainPolicy:
    domain: str
    source: str
    severity: Severity
    public_reason: str
    private_reason: str
    created_at: datetime


COLUMNS = "domain, source, severity, public_reason, private_reason, created_at"


async def set_policy(
    connection: DbConnection,
    *,
    domain: str,
    severity: Severity,
    source: str = LOCAL,
    public_reason: str = "",
    private_reason: str = "",
) -> DomainPolicy:
    """Create or replace the row of (domain, source). `domain` must already be canonical
    (federation.hosts.canonical_host); the caller checks it."""
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}")
    row = await connection.fetchrow(
        f"""
        INSERT INTO domain_policies (domain, source, severity, public_reason, private_reason)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (domain, source) DO UPDATE SET severity = EXCLUDED.severity,
            public_reason = EXCLUDED.public_reason, private_reason = EXCLUDED.private_reason
        RETURNING {COLUMNS}
        """,
        domain,
        source,
        severity,
        public_reason,
        private_reason,
    )
    assert row is not None
    return DomainPolicy(**dict(row))


async def remove_policy(connection: DbConnection, *, domain: str, source: str = LOCAL) -> bool:
    result: str = await connection.execute(
        "DELETE FROM domain_policies WHERE domain = $1 AND source = $2", domain, source
    )
    return result != "DELETE 0"


async def policies(connection: DbConnection, *, source: str | None = None) -> list[DomainPolicy]:
    """Every row (`source` None) or the rows of one source, by domain."""
    rows = await connection.fetch(
        f"SELECT {COLUMNS} FROM domain_policies WHERE $1::text IS NULL OR source = $1 "
        "ORDER BY domain, source",
        source,
    )
    return [DomainPolicy(**dict(row)) for row in rows]


async def policies_of(connection: DbConnection, domain: str) -> list[DomainPolicy]:
    """Every source's row for exactly `domain`."""
    rows = await connection.fetch(
        f"SELECT {COLUMNS} FROM domain_policies WHERE domain = $1 ORDER BY source", domain
    )
    return [DomainPolicy(**dict(row)) for row in rows]


async def remove_source(connection: DbConnection, source: str) -> list[str]:
    """Forget every row a trust list gave; the domains they were about."""
    if source == LOCAL:
        raise ValueError("remove_source is for trust lists, not the place's own decisions")
    rows = await connection.fetch(
        "DELETE FROM domain_policies WHERE source = $1 RETURNING domain", source
    )
    return sorted(row["domain"] for row in rows)


def effective(rows_for_domain: Iterable[DomainPolicy]) -> Severity | None:
    """The severity that counts among the rows of one domain: a local row wins outright;
    otherwise the most severe among the trust lists' rows; None without rows."""
    best: Severity | None = None
    for row in rows_for_domain:
        if row.source == LOCAL:
            return row.severity
        if best is None or RANK[row.severity] > RANK[best]:
            best = row.severity
    return best


def split_port(host: str) -> tuple[str, str | None]:
    """`example.org:8443` -> (`example.org`, `8443`); IPv6 literals keep their brackets."""
    if host.startswith("["):
        name, _, rest = host.partition("]")
        return name + "]", rest[1:] if rest.startswith(":") else None
    name, colon, port = host.rpartition(":")
    return (name, port) if colon and port.isdigit() else (host, None)


def covering(host: str) -> list[str]:
    """The policy domains that apply to `host`, the most specific first: the host itself,
    then (without a port) its name and each parent domain."""
    name, port = split_port(host)
    found = [host] if port is not None else []
    if name.startswith("[") or name.replace(".", "").isdigit():
        return [*found, name]  # an IP literal has no parent domains
    labels = name.split(".")
    found.extend(".".join(labels[index:]) for index in range(len(labels)))
    return found


def covers(domain: str, host: str) -> bool:
    return domain in covering(host)


@dataclass(frozen=True)
class LimitRule:
    """Which hosts are limited: those whose most specific covering domain, among `limited` and
    `exceptions` (the domains inside a limited one with another policy), is a limited one. The
    one definition: `hides` here, and in SQL `limit_hides` (migration 0032) does the same steps
    for the queries; tests/test_domain_limit_rule.py runs both on the same cases. Empty when
    nothing is limited: queries then add no condition at all."""

    limited: tuple[str, ...] = ()
    exceptions: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.limited)

    @cached_property
    def _deciding(self) -> dict[str, bool]:
        return {domain: False for domain in self.exceptions} | dict.fromkeys(self.limited, True)

    def hides(self, host: str) -> bool:
        for domain in covering(host):
            decision = self._deciding.get(domain)
            if decision is not None:
                return decision
        return False

    def hides_sql(self, url: str, limited: str, exceptions: str) -> str:
        """SQL true for a row whose `url` expression is on a limited host; `limited` and
        `exceptions` are the placeholders of the two arrays."""
        return f"limit_hides(url_host({url}), {limited}, {exceptions})"


def limit_rule(severities: dict[str, Severity]) -> LimitRule:
    """The rule for the effective severities by domain (a host's most specific domain decides:
    only the limited domains and the other domains they cover can decide for a limited host)."""
    limited = sorted(domain for domain, severity in severities.items() if severity == "limit")
    exceptions = sorted(
        domain
        for domain, severity in severities.items()
        if severity != "limit" and any(covers(parent, domain) for parent in limited)
    )
    return LimitRule(tuple(limited), tuple(exceptions))
