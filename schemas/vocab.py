"""Namespaces and type names of the vocabularies we read, independent of any model."""

from __future__ import annotations

from typing import Final

AS_NAMESPACE: Final = "https://www.w3.org/ns/activitystreams#"
PUBLIC_COLLECTION: Final = "https://www.w3.org/ns/activitystreams#Public"
# Mastodon and LitePub also address to the compact forms of the public collection.
PUBLIC_ALIASES: Final = frozenset(
    {PUBLIC_COLLECTION, "http://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"}
)

SCHEMA_NAMESPACES: Final = (
    "http://schema.org#",  # what Mastodon, Mobilizon, Gancio and PeerTube declare as `schema`/`sc`
    "https://schema.org/",
    "http://schema.org/",
    "https://schema.org#",
)
ICAL_NAMESPACE: Final = "http://www.w3.org/2002/12/cal/ical#"
MOBILIZON_NAMESPACE: Final = "https://joinmobilizon.org/ns#"
MASTODON_NAMESPACE: Final = "http://joinmastodon.org/ns#"
PEERTUBE_NAMESPACE: Final = "https://joinpeertube.org/ns#"
LITEPUB_NAMESPACE: Final = "http://litepub.social/ns#"
SECURITY_NAMESPACE: Final = "https://w3id.org/security#"
# One constant for the IRI of our own terms; the context document is built from it.
MAILLAGE_NAMESPACE: Final = "https://maillage.social/ns#"

ACTIVITY_TYPES: Final = frozenset(
    {
        # ActivityStreams 2.0 vocabulary, section 3.1.
        "Accept", "Add", "Announce", "Arrive", "Block", "Create", "Delete", "Dislike", "Flag",
        "Follow", "Ignore", "Invite", "Join", "Leave", "Like", "Listen", "Move", "Offer",
        "Question", "Reject", "Read", "Remove", "TentativeReject", "TentativeAccept", "Travel",
        "Undo", "Update", "View",
        # Extensions seen in the wild (Misskey/Pleroma reactions).
        "EmojiReact",
    }
)  # fmt: skip

ACTOR_TYPES: Final = frozenset({"Person", "Group", "Application", "Service", "Organization"})

OBJECT_TYPES: Final = frozenset(
    {
        "Object", "Link", "Mention", "Hashtag", "Note", "Article", "Page", "Event", "Place",
        "Tombstone", "Document", "Image", "Audio", "Video", "Collection", "OrderedCollection",
        "CollectionPage", "OrderedCollectionPage", "PropertyValue", "PostalAddress",
        "VirtualLocation", "Multikey", "OpeningHoursSpecification", "PriceSpecification",
    }
)  # fmt: skip

KNOWN_TYPE_NAMES: Final = ACTIVITY_TYPES | ACTOR_TYPES | OBJECT_TYPES
