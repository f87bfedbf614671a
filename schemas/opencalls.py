"""Open calls (appels à projets, à compétences, à partenaires, à bénévoles).

Encoding: an AS2 `Page` carrying our `callKind`. Mastodon shows object types it does not handle
natively (Article, Page, Event, ...) as their name, summary and a link to `url`, which is the
readable form we need there; Maillage nodes recognise an open call by the presence of `callKind`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from schemas.base import ManyOf, Timestamp
from schemas.objects import ASObject
from schemas.places import Place


class CallKind(StrEnum):
    PROJECTS = "projects"
    SKILLS = "skills"
    PARTNERS = "partners"
    VOLUNTEERS = "volunteers"


class CallStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    FILLED = "filled"


class OpenCall(ASObject):
    # Article and Note are read too: another implementation may choose them for the same reason.
    type: Literal["Page", "Article", "Note"] = "Page"
    # Text rather than CallKind/CallStatus when reading: a newer node may know more kinds.
    call_kind: str
    call_status: str | None = None
    deadline: Timestamp | None = None
    skills_wanted: ManyOf[str] = Field(default_factory=list)
    territory: str | Place | None = None
    contact: str | None = None
