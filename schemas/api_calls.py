"""REST bodies of open calls (`/api/v1/calls`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field

from schemas.api import ApiModel
from schemas.api_place import WebUrl

# The four kinds every node knows (schemas.opencalls.CallKind) and any other short slug: the list
# is open so that a network can add its own kinds without a new release.
CallKindSlug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,39}$")]
CallStatusValue = Literal["open", "closed", "filled"]
Skill = Annotated[str, Field(min_length=1, max_length=80)]


def _in_future(value: datetime) -> datetime:
    if value <= datetime.now(UTC):
        raise ValueError("the deadline must be in the future")
    return value


FutureDeadline = Annotated[AwareDatetime, AfterValidator(_in_future)]


class DocumentLink(ApiModel):
    name: str = Field(min_length=1, max_length=200)
    url: WebUrl


class CallIn(ApiModel):
    kind: CallKindSlug = Field(description="projects, skills, partners, volunteers, or another")
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20_000, description="Plain text")
    summary: str | None = Field(
        default=None, max_length=500, description="Plain text; one is written when absent"
    )
    deadline: FutureDeadline | None = None
    skills_wanted: list[Skill] = Field(default_factory=list, max_length=30)
    territory: str | None = Field(default=None, max_length=200)
    contact: str | None = Field(default=None, max_length=320)
    documents: list[DocumentLink] = Field(default_factory=list, max_length=20)


class CallPatch(ApiModel):
    """The fields given replace the stored ones."""

    kind: CallKindSlug | None = None
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=20_000)
    summary: str | None = Field(default=None, max_length=500)
    deadline: FutureDeadline | None = None
    skills_wanted: list[Skill] | None = Field(default=None, max_length=30)
    territory: str | None = Field(default=None, max_length=200)
    contact: str | None = Field(default=None, max_length=320)
    documents: list[DocumentLink] | None = Field(default=None, max_length=20)
    status: CallStatusValue | None = None


class CallClose(ApiModel):
    status: Literal["closed", "filled"] = "closed"


class CallOut(ApiModel):
    id: str = Field(description="The token of a local call, used in the API paths")
    number: int = Field(description="The number people type; API paths accept it as the id too")
    uri: str
    local: bool
    place: str = Field(description="The actor that published the call")
    kind: str
    title: str
    summary: str | None
    description: str
    content_html: str
    deadline: datetime | None
    skills_wanted: list[str]
    territory: str | None
    contact: str | None
    documents: list[DocumentLink]
    status: str
    published: datetime
    updated: datetime
