"""REST bodies for members' profiles and their consent."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from schemas.api import ApiModel

WEB_URL = r"^https?://[^\s<>\"']+$"
Visibility = Literal["private", "members", "network"]


class SkillBody(ApiModel):
    name: str = Field(min_length=1, max_length=80)
    uri: str | None = Field(
        default=None,
        max_length=500,
        pattern=WEB_URL,
        description="A public skills vocabulary entry, e.g. an ESCO skill URI.",
    )


class LinkBody(ApiModel):
    label: str = Field(min_length=1, max_length=80)
    url: str = Field(max_length=2048, pattern=WEB_URL)


class ProfileIn(ApiModel):
    name: str = Field(default="", max_length=100)
    bio: str = Field(default="", max_length=10_000, description="HTML; sanitised on save.")
    skills: list[SkillBody] = Field(default_factory=list, max_length=50)
    links: list[LinkBody] = Field(default_factory=list, max_length=10)
    avatar: str | None = Field(default=None, max_length=2048, pattern=WEB_URL)


class VisibilityIn(ApiModel):
    visibility: Visibility


class ProfileOut(ApiModel):
    username: str
    actor: str
    visibility: Visibility
    name: str
    bio: str
    skills: list[SkillBody]
    links: list[LinkBody]
    avatar: str | None
    updated_at: datetime | None


class ProfilePatch(ApiModel):
    """A change of the profile: only the fields present change, and `null` clears one."""

    name: str | None = Field(default=None, max_length=100)
    bio: str | None = Field(default=None, max_length=10_000, description="HTML; sanitised on save.")
    skills: list[SkillBody] | None = Field(default=None, max_length=50)
    links: list[LinkBody] | None = Field(default=None, max_length=10)
    avatar: str | None = Field(default=None, max_length=2048, pattern=WEB_URL)

    def applied_to(self, current: ProfileIn) -> ProfileIn:
        """`current` with this change: a field set to null goes back to its empty value."""
        changes = {name: getattr(self, name) for name in self.model_fields_set}
        cleared = {name for name, value in changes.items() if value is None}
        kept = current.model_dump(exclude=set(changes))
        given = {name: value for name, value in changes.items() if name not in cleared}
        return ProfileIn.model_validate({**kept, **given})
