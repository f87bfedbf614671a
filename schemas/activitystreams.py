"""The ActivityStreams vocabulary we exchange, in one import.

This module also ties the polymorphic knot: an activity's `object` and a collection's items may
be any modelled object, including activities and collections, so the union of every model is
defined here, after all of them, and the models that refer to it are completed.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from pydantic import Tag

from schemas.activities import (
    Accept,
    Activity,
    Announce,
    Block,
    Create,
    Delete,
    Flag,
    Follow,
    GenericActivity,
    Join,
    Leave,
    Like,
    Reject,
    SingleObjectActivity,
    Undo,
    Update,
)
from schemas.actors import (
    Actor,
    Application,
    Endpoints,
    Group,
    Multikey,
    Organization,
    Person,
    ProfileVisibility,
    PublicKey,
    Service,
)
from schemas.base import ASModel
from schemas.collections import (
    Collection,
    CollectionBase,
    CollectionPage,
    OrderedCollection,
    OrderedCollectionPage,
)
from schemas.dispatch import by_type
from schemas.events import Event, EventStatus, JoinMode
from schemas.objects import (
    Article,
    ASObject,
    Document,
    GenericObject,
    Image,
    Link,
    Note,
    Page,
    PropertyValue,
    Tombstone,
)
from schemas.opencalls import CallKind, CallStatus, OpenCall
from schemas.placedetails import OpeningHoursSpecification, PlaceDetails, PriceSpecification
from schemas.places import Place, PostalAddress, VirtualLocation
from schemas.vocab import ACTIVITY_TYPES

ACTIVITY_MODELS: Final[dict[str, type[Activity]]] = {
    model.model_fields["type"].default: model
    for model in (
        Create, Update, Delete, Follow, Accept, Reject, Undo, Announce, Join, Leave, Block,
        Like, Flag,
    )
}  # fmt: skip
ACTOR_MODELS: Final[dict[str, type[Actor]]] = {
    model.model_fields["type"].default: model
    for model in (Person, Group, Application, Service, Organization)
}
OBJECT_MODELS: Final[dict[str, type[ASObject]]] = {
    model.model_fields["type"].default: model
    for model in (
        Note, Article, Page, Event, Place, Tombstone, Collection, OrderedCollection,
        CollectionPage, OrderedCollectionPage,
    )
}  # fmt: skip
_OTHER_TAGS: Final = {"Document": "Document", "Audio": "Document", "Video": "Document"}
_TAG_BY_TYPE: Final[dict[str, str]] = {
    **{kind: model.__name__ for kind, model in ACTIVITY_MODELS.items()},
    **{kind: model.__name__ for kind, model in ACTOR_MODELS.items()},
    **{kind: model.__name__ for kind, model in OBJECT_MODELS.items()},
    **_OTHER_TAGS,
    "Image": "Image",
}
_OPEN_CALL_CARRIERS: Final = frozenset({"Page", "Article", "Note"})


def _refine(raw: dict[str, Any], tag: str | None) -> str | None:
    kind = raw.get("type")
    if kind in _OPEN_CALL_CARRIERS and "callKind" in raw:
        return "OpenCall"
    if tag == "GenericObject" and kind in ACTIVITY_TYPES and "actor" in raw:
        return "GenericActivity"
    return tag


AnyObject = Annotated[
    Annotated[Create, Tag("Create")]
    | Annotated[Update, Tag("Update")]
    | Annotated[Delete, Tag("Delete")]
    | Annotated[Follow, Tag("Follow")]
    | Annotated[Accept, Tag("Accept")]
    | Annotated[Reject, Tag("Reject")]
    | Annotated[Undo, Tag("Undo")]
    | Annotated[Announce, Tag("Announce")]
    | Annotated[Join, Tag("Join")]
    | Annotated[Leave, Tag("Leave")]
    | Annotated[Block, Tag("Block")]
    | Annotated[Like, Tag("Like")]
    | Annotated[Flag, Tag("Flag")]
    | Annotated[GenericActivity, Tag("GenericActivity")]
    | Annotated[Person, Tag("Person")]
    | Annotated[Group, Tag("Group")]
    | Annotated[Application, Tag("Application")]
    | Annotated[Service, Tag("Service")]
    | Annotated[Organization, Tag("Organization")]
    | Annotated[Note, Tag("Note")]
    | Annotated[Article, Tag("Article")]
    | Annotated[Page, Tag("Page")]
    | Annotated[OpenCall, Tag("OpenCall")]
    | Annotated[Event, Tag("Event")]
    | Annotated[Place, Tag("Place")]
    | Annotated[Tombstone, Tag("Tombstone")]
    | Annotated[Document, Tag("Document")]
    | Annotated[Image, Tag("Image")]
    | Annotated[Collection, Tag("Collection")]
    | Annotated[OrderedCollection, Tag("OrderedCollection")]
    | Annotated[CollectionPage, Tag("CollectionPage")]
    | Annotated[OrderedCollectionPage, Tag("OrderedCollectionPage")]
    | Annotated[GenericObject, Tag("GenericObject")],
    by_type(_TAG_BY_TYPE, "GenericObject", _refine),
]
# What an activity's `object` or a collection item holds: an IRI, or an embedded object.
AnyRef = str | AnyObject

_COMPLETED: tuple[type[ASModel], ...] = (
    Activity, SingleObjectActivity, *ACTIVITY_MODELS.values(), GenericActivity,
    CollectionBase, Collection, OrderedCollection, CollectionPage, OrderedCollectionPage,
)  # fmt: skip
for _model in _COMPLETED:
    _model.model_rebuild(force=True, _types_namespace={"AnyRef": AnyRef})

__all__ = [
    "ACTIVITY_MODELS",
    "ACTOR_MODELS",
    "OBJECT_MODELS",
    "ASObject",
    "Accept",
    "Activity",
    "Actor",
    "Announce",
    "AnyObject",
    "AnyRef",
    "Application",
    "Article",
    "Block",
    "CallKind",
    "CallStatus",
    "Collection",
    "CollectionBase",
    "CollectionPage",
    "Create",
    "Delete",
    "Document",
    "Endpoints",
    "Event",
    "EventStatus",
    "Flag",
    "Follow",
    "GenericActivity",
    "GenericObject",
    "Group",
    "Image",
    "Join",
    "JoinMode",
    "Leave",
    "Like",
    "Link",
    "Multikey",
    "Note",
    "OpenCall",
    "OpeningHoursSpecification",
    "OrderedCollection",
    "OrderedCollectionPage",
    "Organization",
    "Page",
    "Person",
    "Place",
    "PlaceDetails",
    "PostalAddress",
    "PriceSpecification",
    "ProfileVisibility",
    "PropertyValue",
    "PublicKey",
    "Reject",
    "Service",
    "SingleObjectActivity",
    "Tombstone",
    "Undo",
    "Update",
    "VirtualLocation",
]
