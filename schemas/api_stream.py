"""Filters of the live stream (query parameters of /api/v1/stream)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

STREAM_KINDS = ("event", "call", "profile", "rsvp", "neighbour")


class StreamFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kinds: list[str] | None = Field(
        default=None, description="Comma-separated: event, call, profile, rsvp, neighbour"
    )
    scope: Literal["all", "local", "network"] = Field(
        default="all", description="local: this node's own; network: its neighbours'"
    )
    place: str | None = Field(default=None, description="Only what this place (actor id) did")
    tag: str | None = Field(default=None, max_length=100)
    category: str | None = Field(default=None, max_length=100)
    q: str | None = Field(default=None, max_length=200, description="Free text")
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    km: float | None = Field(default=None, gt=0, le=20000, description="Distance from the point")
    dates: Literal["fr", "en"] | None = Field(
        default=None,
        description="Not a filter: each item also carries its dates as people of this language "
        "read them (startTimeText, deadlineText), on the event's clock or the place's",
    )

    @field_validator("kinds", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            unknown = sorted(set(value) - set(STREAM_KINDS))
            if unknown:
                raise ValueError(f"unknown kinds {unknown}; use {', '.join(STREAM_KINDS)}")
        return value
