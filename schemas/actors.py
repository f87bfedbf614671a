"""Actors: Person, Group (a tiers-lieu), Application (the node, FEP-2677), Service, Organization."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, ValidationError

from schemas.base import ASModel, IdRef, IdRefs, ManyOf, OneOrMany
from schemas.objects import ASObject
from schemas.placedetails import PlaceDetails
from schemas.places import LocationValue


class PublicKey(ASModel):
    """The draft-cavage signing key, as Mastodon publishes it (security/v1 `publicKey`)."""

    id: str
    owner: IdRef | None = None
    public_key_pem: str


class Multikey(ASModel):
    """An `assertionMethod` entry (FEP-521a), e.g. the Ed25519 key of object integrity proofs."""

    id: str
    type: Literal["Multikey"] = "Multikey"
    controller: IdRef
    public_key_multibase: str


def _readable(model: type[BaseModel]) -> Callable[[Any], Any]:
    """Keep the entries of a key list that read as `model`: a key of a kind we do not know (a
    `JsonWebKey2020`, a Multikey without its multibase) is skipped, not a reason to refuse the
    whole actor."""

    def keep(value: Any) -> Any:
        entries = value if isinstance(value, list) else [] if value is None else [value]
        readable = []
        for entry in entries:
            if isinstance(entry, str):
                readable.append(entry)
                continue
            try:
                model.model_validate(entry)
            except ValidationError:
                continue
            readable.append(entry)
        return readable

    return keep


class Endpoints(ASModel):
    shared_inbox: str | None = None


class ProfileVisibility(StrEnum):
    """Who may see a member's profile. Only `network` profiles ever leave the node."""

    PRIVATE = "private"
    MEMBERS = "members"
    NETWORK = "network"


class Actor(ASObject):
    # Optional because a Delete of an account embeds a bare `{"type": "Person", "id": ...}`
    # (Mastodon fixture); `schemas.parse.parse_actor` requires it of actor documents.
    inbox: str | None = None
    outbox: str | None = None
    followers: str | None = None
    following: str | None = None
    featured: str | None = None
    preferred_username: str | None = None
    endpoints: Endpoints | None = None
    public_key: Annotated[OneOrMany[PublicKey], BeforeValidator(_readable(PublicKey))] = Field(
        default_factory=list
    )
    assertion_method: Annotated[OneOrMany[str | Multikey], BeforeValidator(_readable(Multikey))] = (
        Field(default_factory=list)
    )
    manually_approves_followers: bool | None = None
    discoverable: bool | None = None
    also_known_as: IdRefs = Field(default_factory=list)
    location: OneOrMany[LocationValue] = Field(default_factory=list)
    # Our extension: a member's profile.
    profile_visibility: ProfileVisibility | None = None
    skills: ManyOf[str] = Field(default_factory=list)

    @property
    def shared_inbox(self) -> str | None:
        return self.endpoints.shared_inbox if self.endpoints else None

    def key(self, key_id: str) -> PublicKey | Multikey | None:
        """The key this actor publishes under `key_id`, if it publishes one."""
        for key in (*self.public_key, *self.assertion_method):
            if isinstance(key, PublicKey | Multikey) and key.id == key_id:
                return key
        return None


class Person(Actor):
    type: Literal["Person"] = "Person"


class Group(Actor, PlaceDetails):
    """A community; for us, usually a tiers-lieu with its place details."""

    type: Literal["Group"] = "Group"


class Application(Actor):
    type: Literal["Application"] = "Application"


class Service(Actor):
    type: Literal["Service"] = "Service"


class Organization(Actor):
    type: Literal["Organization"] = "Organization"
