"""The ActivityStreams vocabulary we exchange, in one import.

This module also ties the polymorphic knot: an activity's `object` and a collection's items may
be any modelled object, including activities and collections, so the union of every model is
defined here, after all of them, and the models that refer to it are completed.

The union is compiled once, in `ANY_OBJECT`, and the fields typed `AnyRef` call it at validation
time instead of embedding it. Embedded, the whole recursive graph of 33 models was copied into the
validator and serialiser of each of the 21 activity and collection models: about 100 MB of
resident memory for one import. Validation results, serialisation and JSON Schemas are unchanged,
and so are errors, but for the names pydantic-core gives some union branches in error locations.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, get_args
from weakref import WeakSet

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler, Tag, TypeAdapter, ValidationInfo
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

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
# Where validation errors put the union: the label pydantic gave the inlined union, kept so that
# error locations (`object.tagged-union[...].Note.published`) do not change.
_UNION_LABEL: Final = f"tagged-union[{','.join(['...'] * len(get_args(get_args(AnyObject)[0])))}]"


def _validate_object(value: Any, info: ValidationInfo) -> Any:
    return ANY_OBJECT.validate_python(value, context=info.context)


class _IriOrObject:
    """`str | AnyObject` for pydantic, with the union validated by `ANY_OBJECT` when called.

    Serialisation needs no union: an embedded model serialises with its own class's serialiser.
    """

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.union_schema(
            [
                (core_schema.str_schema(), "str"),
                (core_schema.with_info_plain_validator_function(_validate_object), _UNION_LABEL),
            ]
        )

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # The JSON Schema of the inlined union, as before: its members' definitions are added once
        # per schema generated, other occurrences (the members' own fields) only refer to them.
        compiled = ANY_OBJECT.core_schema
        objects, definitions = (
            (compiled["schema"], compiled["definitions"])
            if compiled["type"] == "definitions"
            else (compiled, [])
        )
        union = core_schema.union_schema([core_schema.str_schema(), objects])
        # The generator of this JSON Schema (pydantic's handler has it; its protocol does not say).
        generator = getattr(handler, "generate_json_schema", None)
        if generator is None or generator in _JSON_SCHEMA_GENERATORS or not definitions:
            return handler(union)
        _JSON_SCHEMA_GENERATORS.add(generator)
        return handler(core_schema.definitions_schema(union, definitions))


_JSON_SCHEMA_GENERATORS: Final[WeakSet[GenerateJsonSchema]] = WeakSet()


# What an activity's `object` or a collection item holds: an IRI, or an embedded object.
AnyRef = Annotated[str | AnyObject, _IriOrObject()]

_COMPLETED: tuple[type[ASModel], ...] = (
    Activity, SingleObjectActivity, *ACTIVITY_MODELS.values(), GenericActivity,
    CollectionBase, Collection, OrderedCollection, CollectionPage, OrderedCollectionPage,
)  # fmt: skip
# Not `force=True`: a forced rebuild copies every model it refers to instead of reusing its
# compiled validator and serialiser.
for _model in _COMPLETED:
    _model.model_rebuild(_types_namespace={"AnyRef": AnyRef})
# Built after the models, so each member reuses its model's compiled validator.
ANY_OBJECT: Final[TypeAdapter[Any]] = TypeAdapter(AnyObject)

__all__ = [
    "ACTIVITY_MODELS",
    "ACTOR_MODELS",
    "ANY_OBJECT",
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
