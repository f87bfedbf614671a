"""Trust lists (FEDERATION.md, "Trust lists"): the document a node publishes, and the REST bodies.

A list is an `OrderedCollection` whose items are `TrustListEntry` objects (domain, policy, public
reason), with a version that rises on every change, `updated`, the publishing node's Application
actor as `attributedTo`, and an FEP-8b32 proof by that actor. Its context is inline and complete,
so a reader needs no other document. No I/O here: fetching, proofs and hosts are for the layers
above.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from schemas import domain_blocks
from schemas.api import ApiModel
from schemas.context import AS_CONTEXT_URL, DATA_INTEGRITY_CONTEXT_URL
from schemas.domain_blocks import DomainBlockRow
from schemas.errors import SchemaError
from schemas.vocab import MAILLAGE_NAMESPACE

Policy = Literal["member", "suspend", "limit"]
Mode = Literal["auto", "review"]
# A list is read in one fetch (1 MiB, 10 000 keys): 2 000 entries of four keys fit in both.
MAX_ENTRIES = 2000
MAX_REASON = 1000
LIST_TYPE = "OrderedCollection"
ENTRY_TYPE = "TrustListEntry"

TRUST_LIST_CONTEXT: list[Any] = [
    AS_CONTEXT_URL,
    DATA_INTEGRITY_CONTEXT_URL,
    {
        "maillage": MAILLAGE_NAMESPACE,
        "TrustListEntry": "maillage:TrustListEntry",
        "domain": "maillage:domain",
        "policy": "maillage:policy",
        "publicReason": "maillage:publicReason",
        "version": {"@id": "maillage:version", "@type": "http://www.w3.org/2001/XMLSchema#integer"},
    },
]

# How a list's word becomes a domain policy's severity on the subscriber (and back).
SEVERITY_OF: dict[str, str] = {"member": "allow", "suspend": "suspend", "limit": "limit"}
POLICY_OF: dict[str, str] = {severity: policy for policy, severity in SEVERITY_OF.items()}


class TrustListEntry(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    domain: str = Field(min_length=1, max_length=253)
    policy: Policy
    public_reason: str = Field(default="", alias="publicReason", max_length=MAX_REASON)


class TrustList(BaseModel):
    """What a subscriber reads of a fetched list (unknown terms ignored)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: str
    type: Literal["OrderedCollection"]
    attributed_to: str = Field(alias="attributedTo")
    version: int = Field(ge=1)
    updated: datetime
    name: str = Field(default="", max_length=200)
    summary: str = Field(default="", max_length=MAX_REASON)
    ordered_items: list[TrustListEntry] = Field(
        default_factory=list, alias="orderedItems", max_length=MAX_ENTRIES
    )


def parse_trust_list(document: dict[str, Any]) -> TrustList:
    """The list in `document`; SchemaError when it is not one (every reason in the message)."""
    try:
        parsed = TrustList.model_validate(document)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc']) or 'document'}: {issue['msg']}"
            for issue in error.errors()
        )
        raise SchemaError(f"not a trust list: {problems}") from None
    domains = [entry.domain.lower() for entry in parsed.ordered_items]
    if len(set(domains)) != len(domains):
        raise SchemaError("not a trust list: a domain is listed twice")
    return parsed


def trust_list_document(
    *,
    list_id: str,
    publisher: str,
    version: int,
    updated: datetime,
    name: str,
    summary: str,
    entries: Iterable[TrustListEntry],
) -> dict[str, Any]:
    """The unsigned document of our list (the caller adds the proof)."""
    items = [
        {
            "type": ENTRY_TYPE,
            "domain": entry.domain,
            "policy": entry.policy,
            "publicReason": entry.public_reason,
        }
        for entry in entries
    ]
    document: dict[str, Any] = {
        "@context": TRUST_LIST_CONTEXT,
        "id": list_id,
        "type": LIST_TYPE,
        "attributedTo": publisher,
        "version": version,
        "updated": updated.isoformat(timespec="seconds"),
        "totalItems": len(items),
        "orderedItems": items,
    }
    if name:
        document["name"] = name
    if summary:
        document["summary"] = summary
    return document


def mastodon_csv(entries: Iterable[TrustListEntry]) -> str:
    """The list's blocks as Mastodon's domain-block CSV (`limit` is Mastodon's `silence`);
    members have no word in Mastodon's format and are left out."""
    return domain_blocks.write(
        DomainBlockRow(entry.domain, entry.policy, entry.public_reason)
        for entry in entries
        if entry.policy != "member"
    )


# --- REST bodies (/api/v1/moderation/trust-lists) ----------------------------------------------


class PublishedEntryIn(ApiModel):
    domain: str = Field(min_length=1, max_length=253, description="A host, e.g. spam.example")
    policy: Policy
    public_reason: str = Field(
        default="", max_length=MAX_REASON, description="Published with the list: never private"
    )


class PublishedDomainIn(ApiModel):
    domain: str = Field(min_length=1, max_length=253)


class PublishSettingsIn(ApiModel):
    published: bool = Field(description="Whether the list is served (404 otherwise)")
    name: str = Field(default="", max_length=200)
    summary: str = Field(default="", max_length=MAX_REASON)


class PublishedEntryOut(ApiModel):
    domain: str
    policy: Policy
    public_reason: str


class PublishedListOut(ApiModel):
    url: str
    published: bool
    name: str
    summary: str
    version: int
    updated: datetime
    subscribers: int
    entries: list[PublishedEntryOut]


class SubscriptionIn(ApiModel):
    url: str = Field(min_length=8, max_length=2048, description="The list's URL")
    mode: Mode = Field(default="auto", description="auto: apply changes; review: propose them")


class SubscriptionUrlIn(ApiModel):
    url: str = Field(min_length=8, max_length=2048)


class SubscriptionOut(ApiModel):
    url: str
    mode: Mode
    publisher: str
    name: str
    version: int
    list_updated: datetime | None
    fetched_at: datetime | None
    last_error: str = Field(description="Why the last reading was refused, in English; empty")
    last_error_code: str = Field(
        description="The same as a stable code (trust-list-unreachable, trust-list-bad-proof...)"
    )
    last_error_detail: str = Field(description="What the code leaves out: a reason, a URL...")
    entries: int = Field(description="Domain policies this node holds from the list")
    pending: int = Field(description="Changes waiting for review")


class ProposalOut(ApiModel):
    id: int
    list_url: str
    domain: str
    change: Literal["set", "remove"]
    severity: str | None
    public_reason: str
    version: int
    state: Literal["pending", "accepted", "refused"]
    created_at: datetime


class ProposalsQuery(ApiModel):
    state: Literal["pending", "accepted", "refused"] = "pending"


class UnsubscribedOut(ApiModel):
    url: str
    lifted: list[str] = Field(description="Domains whose policy came only from this list")
