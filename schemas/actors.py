"""Actors: Person, Group (a tiers-lieu), Application (the node, FEP-2677), Service, Organization."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

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
    public_key: OneOrMany[PublicKey] = Field(default_factory=list)
    assertion_method: OneOrMany[str | Multikey] = Field(default_factory=list)
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
