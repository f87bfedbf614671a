"""REST bodies for actor blocks and reports (issue 11, parts 3 and 4)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from schemas.api import ApiModel


class BlockIn(ApiModel):
    target: str = Field(
        min_length=3,
        max_length=2048,
        description="The actor to block or unblock: a handle (name@domain) or an actor URL.",
    )
    reason: str = Field(default="", max_length=2000, description="Kept in the moderation log")


class BlockOut(ApiModel):
    blocker: str = Field(description="The local actor that blocks: `place`, or a username")
    actor: str
    reason: str
    created_at: datetime


class BlockResult(ApiModel):
    actor: str
    state: Literal["blocked", "unblocked", "unchanged"]


class ReportIn(ApiModel):
    target: str = Field(
        min_length=3,
        max_length=2048,
        description="The id (URL) of the actor, event, call or shared profile reported.",
    )
    comment: str = Field(default="", max_length=5000)
    forward: bool = Field(
        default=False,
        description="Also send the report (a Flag by this node's Application actor, never "
        "naming the reporter) to the reported actor's server.",
    )


class ReportOut(ApiModel):
    id: int
    received_at: datetime
    origin: str = Field(description="'' when filed on this node; else the reporting server")
    reporter: str = Field(description="A local username, or the remote actor that sent the Flag")
    target_actor: str
    target_name: str | None = Field(
        default=None, description="The reported actor's display name, when this node holds it"
    )
    target_handle: str | None = Field(
        default=None, description="The reported actor's handle (name@host), when known here"
    )
    objects: list[str]
    object_titles: dict[str, str] = Field(
        default_factory=dict,
        description="Object id -> its title (event or call name), for the objects held here",
    )
    comment: str
    forwarded: bool
    state: Literal["open", "resolved"]
    resolution: str | None
    resolution_reason: str
    resolved_by: str | None
    resolved_at: datetime | None


class ReportsQuery(ApiModel):
    state: Literal["open", "resolved", "all"] = Field(
        default="open", description="open (the default), resolved or all"
    )
    limit: int = Field(default=100, ge=1, le=500)
    before: int | None = Field(
        default=None,
        ge=1,
        description="Reports older than this id: the last id of the previous page, for the next",
    )


class ResolveIn(ApiModel):
    resolution: Literal["no_action", "limit", "suspend", "remove_content"] = Field(
        description="no_action; limit or suspend the reported actor's domain; remove_content: "
        "delete here the imported events, calls and profiles the report names"
    )
    reason: str = Field(default="", max_length=2000, description="Kept in the moderation log")
