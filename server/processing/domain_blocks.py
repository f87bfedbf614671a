"""The place's own domain decisions, as the API, the pages and the CLI make them: one at a
time or from Mastodon's domain-block CSV, and that CSV written back out.

Each change runs in one transaction (a CSV import too: a purge half done is never left), then
this process reads the policies again at once; the others follow on PostgreSQL's notification.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

from schemas import domain_blocks
from schemas.domain_blocks import DomainBlockRow
from server.database import DbConnection
from server.processing.domain_policy import (
    DomainPolicies,
    InvalidPolicy,
    apply_policy,
    canonical_domain,
    lift_policy,
)
from server.storage import domain_policies
from server.storage.domain_policies import LOCAL, DomainPolicy, Severity, covers
from server.urls import NodeUrls


@dataclass(frozen=True)
class DomainAdmin:
    pool: asyncpg.Pool
    urls: NodeUrls
    policies: DomainPolicies

    def checked(self, text: str) -> str:
        domain = canonical_domain(text)
        if covers(domain, self.urls.host):
            raise InvalidPolicy("this is the node's own domain")
        return domain

    async def set(
        self,
        text: str,
        severity: Severity,
        *,
        who: str,
        public_reason: str = "",
        private_reason: str = "",
    ) -> DomainPolicy:
        domain = self.checked(text)
        async with self.pool.acquire() as connection, connection.transaction():
            await apply_policy(
                connection,
                domain=domain,
                severity=severity,
                who=who,
                public_reason=public_reason,
                private_reason=private_reason,
                urls=self.urls,
            )
            rows = await domain_policies.policies_of(connection, domain)
        await self.policies.refresh()
        return next(row for row in rows if row.source == LOCAL)

    async def remove(self, text: str, *, who: str) -> bool:
        domain = canonical_domain(text)
        async with self.pool.acquire() as connection, connection.transaction():
            removed = await lift_policy(connection, domain=domain, who=who, urls=self.urls)
        await self.policies.refresh()
        return removed

    async def import_csv(self, text: str, *, who: str) -> ImportResult:
        """Apply each row of a Mastodon CSV as the place's own decision. A file that does not
        parse changes nothing (CsvError); a row naming no usable domain is skipped, with why."""
        rows = domain_blocks.parse(text)
        result = ImportResult()
        async with self.pool.acquire() as connection, connection.transaction():
            for row in rows:
                await self.import_row(connection, row, who, result)
        await self.policies.refresh()
        return result

    async def import_row(
        self, connection: DbConnection, row: DomainBlockRow, who: str, result: ImportResult
    ) -> None:
        try:
            domain = self.checked(row.domain)
        except InvalidPolicy as error:
            result.skipped[f"line {row.line}"] = f"{row.domain[:100]}: {error}"
            result.skipped_rows.append(SkippedRow(row.line, row.domain[:100], "not-a-domain"))
            return
        if row.severity is None:
            result.skipped[domain] = "noop: Mastodon's severity for no block"
            result.skipped_rows.append(SkippedRow(row.line, domain, "noop"))
            return
        await apply_policy(
            connection,
            domain=domain,
            severity=row.severity,
            who=who,
            public_reason=row.public_comment[:1000],
            urls=self.urls,
        )
        result.applied.append(domain)

    async def export_csv(self) -> str:
        """The place's own suspensions and limits in Mastodon's format (allows are no blocks,
        and what trust lists gave is theirs to publish)."""
        async with self.pool.acquire() as connection:
            rows = await domain_policies.policies(connection, source=LOCAL)
        return domain_blocks.write(
            DomainBlockRow(row.domain, row.severity, row.public_reason)
            for row in rows
            if row.severity in ("suspend", "limit")
        )


@dataclass(frozen=True)
class SkippedRow:
    """A row not applied, for the pages: `code` says why in every language."""

    line: int
    domain: str
    code: str  # "not-a-domain" (or this node's own) or "noop"


@dataclass
class ImportResult:
    applied: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # the API's: where -> why, in English
    skipped_rows: list[SkippedRow] = field(default_factory=list)
