"""REST bodies of /api/v1/moderation: domain policies and the moderation log."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from schemas.api import ApiModel
from schemas.domain_blocks import MAX_BYTES

SeverityName = Literal["suspend", "limit", "allow"]


class DomainPolicyIn(ApiModel):
    severity: SeverityName = Field(
        description="suspend: nothing in or out, and what we hold is purged; limit: kept but "
        "off the agenda, directory, people search and wall unless followed; allow: listed for "
        "limited federation mode"
    )
    public_reason: str = Field(default="", max_length=1000)
    private_reason: str = Field(default="", max_length=1000)


class DomainPolicyOut(ApiModel):
    domain: str
    source: str = Field(description="'' for the place's own decision, else the trust list's URL")
    severity: SeverityName
    effective: SeverityName | None = Field(
        description="What counts for this domain across sources (a local row wins)"
    )
    public_reason: str
    private_reason: str
    created_at: datetime


class DomainBlocksCsv(ApiModel):
    # The size is checked in bytes by the parser (422 with the code `csv-too-large`), not here
    # in characters: one limit, one clear answer.
    csv: str = Field(
        description="Mastodon's domain-block CSV (#domain,#severity,...); rows are applied as "
        f"the place's own decisions. At most {MAX_BYTES} bytes of UTF-8: beyond, 422 with the "
        "code `csv-too-large`",
    )


class DomainImportOut(ApiModel):
    applied: list[str] = Field(description="Domains whose policy was set")
    skipped: dict[str, str] = Field(description="Domain (or line) -> why it was not applied")


class ModerationLogQuery(ApiModel):
    limit: int = Field(default=100, ge=1, le=500)
    before: int | None = Field(default=None, ge=1, description="Entries older than this id")


class ModerationLogEntryOut(ApiModel):
    id: int
    at: datetime
    who: str
    action: str
    target: str
    reason: str
    details: dict[str, Any]
