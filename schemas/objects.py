"""Object, Link and the small objects that hang off every other one (media, tags, fields)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, Tag

from schemas.base import (
    ASModel,
    IdRef,
    IdRefs,
    LanguageMap,
    ManyOf,
    OneOrMany,
    Single,
    Timestamp,
)
from schemas.dispatch import by_type


class Link(ASModel):
    """A Link, or its subtypes Mention and Hashtag (Gancio sends relative hashtag hrefs)."""

    type: Literal["Link", "Mention", "Hashtag"] = "Link"
    href: str | None = None
    name: str | None = None
    media_type: str | None = None
    rel: ManyOf[str] = Field(default_factory=list)
    hreflang: str | None = None
    height: int | None = None
    width: int | None = None


UrlValue = str | Link


class PropertyValue(ASModel):
    """A profile field as Mastodon and Gancio send it in `attachment` (schema:PropertyValue)."""

    type: Literal["PropertyValue"] = "PropertyValue"
    name: str | None = None
    value: str | None = None


class ASObject(ASModel):
    """Properties of AS2 Object shared by every object type we model.

    `name`, `summary` and `content` hold the peer's HTML as received: sanitise them with the
    allow-list of SECURITY.md row 22 before storing or showing them.
    """

    id: str | None = None
    type: str = "Object"
    name: str | None = None
    name_map: LanguageMap | None = None
    summary: str | None = None
    summary_map: LanguageMap | None = None
    content: str | None = None
    content_map: LanguageMap | None = None
    media_type: str | None = None
    url: OneOrMany[UrlValue] = Field(default_factory=list)
    attributed_to: OneOrMany[IdRef] = Field(default_factory=list)
    in_reply_to: Single[IdRef] | None = None
    to: IdRefs = Field(default_factory=list)
    cc: IdRefs = Field(default_factory=list)
    bto: IdRefs = Field(default_factory=list)
    bcc: IdRefs = Field(default_factory=list)
    audience: OneOrMany[IdRef] = Field(default_factory=list)
    published: Timestamp | None = None
    updated: Timestamp | None = None
    sensitive: bool | None = None
    icon: OneOrMany[str | Image] = Field(default_factory=list)
    image: OneOrMany[str | Image] = Field(default_factory=list)
    attachment: ManyOf[Attachment] = Field(default_factory=list)
    tag: ManyOf[TagValue] = Field(default_factory=list)

    def url_hrefs(self) -> list[str]:
        """Every URL of the object, whether given as a string or as a Link."""
        hrefs: list[str] = []
        for item in self.url:
            href = item if isinstance(item, str) else item.href
            if href:
                hrefs.append(href)
        return hrefs


class _Media(ASObject):
    width: int | None = None
    height: int | None = None
    # Mastodon's toot:blurhash, a placeholder drawn while the media loads.
    blurhash: str | None = None


class Document(_Media):
    type: Literal["Document", "Audio", "Video"] = "Document"


class Image(_Media):
    type: Literal["Image"] = "Image"


class GenericObject(ASObject):
    """An object of a type we do not model: kept, with its properties in `model_extra`."""


class Note(ASObject):
    type: Literal["Note"] = "Note"


class Article(ASObject):
    type: Literal["Article"] = "Article"


class Page(ASObject):
    type: Literal["Page"] = "Page"


class Tombstone(ASObject):
    type: Literal["Tombstone"] = "Tombstone"
    former_type: str | None = None
    deleted: Timestamp | None = None


_MEDIA_TAGS = {"Document": "Document", "Audio": "Document", "Video": "Document", "Image": "Image"}
_LINK_TAGS = {"Link": "Link", "Mention": "Link", "Hashtag": "Link"}

Attachment = (
    str
    | Annotated[
        Annotated[Link, Tag("Link")]
        | Annotated[PropertyValue, Tag("PropertyValue")]
        | Annotated[Document, Tag("Document")]
        | Annotated[Image, Tag("Image")]
        | Annotated[GenericObject, Tag("GenericObject")],
        by_type({**_LINK_TAGS, **_MEDIA_TAGS, "PropertyValue": "PropertyValue"}, "GenericObject"),
    ]
)
# Mastodon's custom emoji and other tag kinds we do not model land in GenericObject.
TagValue = (
    str
    | Annotated[
        Annotated[Link, Tag("Link")] | Annotated[GenericObject, Tag("GenericObject")],
        by_type(_LINK_TAGS, "GenericObject"),
    ]
)

# The models the others embed first: a model completed before the others is reused by them (its
# compiled validator and serialiser), where an incomplete one is copied into each of them.
for _model in (GenericObject, Image, Document, ASObject, Note, Article, Page, Tombstone):
    _model.model_rebuild()
