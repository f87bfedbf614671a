"""Activities: the lifecycle verbs we exchange, and any other verb kept as GenericActivity."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from schemas.base import First, IdRef, OneOrMany, Single
from schemas.objects import ASObject

if TYPE_CHECKING:
    from schemas.activitystreams import AnyRef


class Activity(ASObject):
    # One actor: of a list (AS2 allows several, some servers wrap their one actor in a list) the
    # first is the actor, the one whose key must sign (SECURITY.md row 4); the inbox stores the
    # activity with that one only (`server.processing.incoming.with_one_actor`).
    actor: First[IdRef]
    target: AnyRef | None = None


class SingleObjectActivity(Activity):
    # One object only for these verbs: every server we federate with sends one, and a list would
    # multiply the fetches and checks one activity can cause (SECURITY.md row 18).
    object: Single[AnyRef]


class Create(SingleObjectActivity):
    type: Literal["Create"] = "Create"


class Update(SingleObjectActivity):
    type: Literal["Update"] = "Update"


class Delete(SingleObjectActivity):
    type: Literal["Delete"] = "Delete"


class Follow(SingleObjectActivity):
    type: Literal["Follow"] = "Follow"


class Accept(SingleObjectActivity):
    type: Literal["Accept"] = "Accept"


class Reject(SingleObjectActivity):
    type: Literal["Reject"] = "Reject"


class Undo(SingleObjectActivity):
    type: Literal["Undo"] = "Undo"

    @model_validator(mode="before")
    @classmethod
    def _undone_by_its_actor(cls, data: Any) -> Any:
        """Gancio embeds the Follow it undoes without an `actor` (server/federation/helpers.js,
        unfollowActor): one can only undo one's own activity, so its actor is the Undo's."""
        if not isinstance(data, dict):
            return data
        undone = data.get("object")
        if isinstance(undone, dict) and "actor" not in undone and "actor" in data:
            return {**data, "object": {**undone, "actor": data["actor"]}}
        return data


class Announce(SingleObjectActivity):
    type: Literal["Announce"] = "Announce"


class Join(SingleObjectActivity):
    type: Literal["Join"] = "Join"


class Leave(SingleObjectActivity):
    type: Literal["Leave"] = "Leave"


class Block(SingleObjectActivity):
    type: Literal["Block"] = "Block"


class Like(SingleObjectActivity):
    type: Literal["Like"] = "Like"


class Flag(Activity):
    """A report. Mastodon lists the reported account and statuses together in `object`."""

    type: Literal["Flag"] = "Flag"
    object: OneOrMany[AnyRef] = Field(default_factory=list)


class GenericActivity(Activity):
    """A verb we do not act on (Invite, Add, Move, ...), kept so it can be logged or ignored."""

    type: str
    object: OneOrMany[AnyRef] = Field(default_factory=list)
