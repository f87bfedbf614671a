"""Collection, OrderedCollection and their pages (followers, outboxes, replies, members)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from schemas.base import Count, IdRef, ManyOf
from schemas.objects import ASObject

if TYPE_CHECKING:
    from schemas.activitystreams import AnyRef


class CollectionBase(ASObject):
    total_items: Count | None = Field(default=None, ge=0)
    first: AnyRef | None = None
    last: IdRef | None = None
    current: IdRef | None = None
    items: ManyOf[AnyRef] = Field(default_factory=list)
    ordered_items: ManyOf[AnyRef] = Field(default_factory=list)

    def members(self) -> list[AnyRef]:
        """The items on this page, whichever of `items`/`orderedItems` the peer filled."""
        return [*self.ordered_items, *self.items]


class Collection(CollectionBase):
    type: Literal["Collection"] = "Collection"


class OrderedCollection(CollectionBase):
    type: Literal["OrderedCollection"] = "OrderedCollection"


class CollectionPage(CollectionBase):
    type: Literal["CollectionPage"] = "CollectionPage"
    part_of: IdRef | None = None
    next: IdRef | None = None
    prev: IdRef | None = None


class OrderedCollectionPage(CollectionBase):
    type: Literal["OrderedCollectionPage"] = "OrderedCollectionPage"
    part_of: IdRef | None = None
    next: IdRef | None = None
    prev: IdRef | None = None
    start_index: Count | None = Field(default=None, ge=0)
