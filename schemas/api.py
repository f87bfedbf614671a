"""Bodies of the REST API under /api/v1: what clients send and what they get back."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LoginRequest(ApiModel):
    username: str = Field(min_length=1, max_length=30)
    password: str = Field(min_length=1, max_length=1024)


class TokenResponse(ApiModel):
    token: str
    expires_at: datetime
    role: str


class FollowRequest(ApiModel):
    target: str = Field(
        min_length=3,
        max_length=2048,
        description="A handle (name@domain, acct:name@domain) or an actor URL.",
    )


class NeighbourOut(ApiModel):
    actor: str
    handle: str | None
    name: str | None
    we_follow: str | None
    follows_us: str | None


class FollowResult(ApiModel):
    actor: str
    state: str


class DeliveryStateOut(ApiModel):
    host: str
    pending: int
    done: int
    failed: int
    consecutive_failures: int
    circuit_open_until: datetime | None
    last_success_at: datetime | None
    last_error: str | None


class DeliveryRetryOut(ApiModel):
    host: str
    pending: int = Field(description="Deliveries to this host now due again")


class ApiError(ApiModel):
    error: str
    code: str | None = Field(
        default=None, description="A stable name of the refusal, e.g. event-full"
    )
    fields: dict[str, str] = Field(default_factory=dict)


class AccountIn(ApiModel):
    username: str = Field(pattern=r"^[a-z0-9_]{1,30}$", description="Lowercase letters, digits, _")
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)
    password: str = Field(min_length=10, max_length=1024)
    role: Literal["administrator", "animateur", "member"] = "member"


class AccountOut(ApiModel):
    id: int
    username: str
    email: str
    role: str
    actor: str
