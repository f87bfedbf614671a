"""Our JSON-LD context: its URL, the bundled document, and the `@context` we emit.

Contexts are identifiers here, never downloaded: the document of our own context ships inside the
package (read with importlib.resources), and remote contexts named by peers are identifiers we
ignore, never fetched (see `schemas.untrusted`; Mastodon never fetches them either since
CVE-2022-24307).
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any, Final

from schemas.vocab import (
    ICAL_NAMESPACE,
    MAILLAGE_NAMESPACE,
    MASTODON_NAMESPACE,
    MOBILIZON_NAMESPACE,
)

AS_CONTEXT_URL: Final = "https://www.w3.org/ns/activitystreams"
SECURITY_V1_CONTEXT_URL: Final = "https://w3id.org/security/v1"
MULTIKEY_CONTEXT_URL: Final = "https://w3id.org/security/multikey/v1"
DATA_INTEGRITY_CONTEXT_URL: Final = "https://w3id.org/security/data-integrity/v1"
# Versioned like the W3C security contexts, so that a later incompatible revision gets a new URL.
MAILLAGE_CONTEXT_URL: Final = "https://maillage.social/ns/v1"

_CONTEXT_RESOURCE: Final = "maillage-context.jsonld"

# Terms used by events and profiles that the AS2 context lacks. They are inline because Mobilizon,
# Gancio and Mastodon declare them inline too (fixtures of framasoft/mobilizon test/fixtures): a
# reader that knows those servers finds the same prefixes and term names in our documents.
_INLINE_TERMS: Final[dict[str, Any]] = {
    "schema": "http://schema.org#",
    "toot": MASTODON_NAMESPACE,
    "mz": MOBILIZON_NAMESPACE,
    "ical": ICAL_NAMESPACE,
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "sensitive": "as:sensitive",
    "Hashtag": "as:Hashtag",
    "discoverable": "toot:discoverable",
    "PropertyValue": "schema:PropertyValue",
    "value": "schema:value",
    "PostalAddress": "schema:PostalAddress",
    "VirtualLocation": "schema:VirtualLocation",
    "address": "schema:address",
    "streetAddress": "schema:streetAddress",
    "postalCode": "schema:postalCode",
    "addressLocality": "schema:addressLocality",
    "addressRegion": "schema:addressRegion",
    "addressCountry": "schema:addressCountry",
    "category": "schema:category",
    "eventStatus": "schema:eventStatus",
    "maximumAttendeeCapacity": "schema:maximumAttendeeCapacity",
    "remainingAttendeeCapacity": "schema:remainingAttendeeCapacity",
    "participantCount": {"@id": "mz:participantCount", "@type": "schema:Number"},
    "timezone": {"@id": "mz:timezone", "@type": "schema:Text"},
    "joinMode": {"@id": "mz:joinMode", "@type": "mz:joinModeType"},
    "joinModeType": {"@id": "mz:joinModeType", "@type": "rdfs:Class"},
}


def _bundled_terms() -> dict[str, Any]:
    text = resources.files("schemas").joinpath(_CONTEXT_RESOURCE).read_text(encoding="utf-8")
    terms: dict[str, Any] = json.loads(text)["@context"]
    return terms


# Our own terms travel inline too, not as a link to MAILLAGE_CONTEXT_URL: peers that run a JSON-LD
# processor (Fedify, and what is built on it) dereference every remote context they do not bundle,
# and refuse the whole document when that fails. No node's federation may depend on one domain
# being up (or reachable at all); the URL stays recognised on input and served at /ns/v1.
EMITTED_CONTEXT: Final[tuple[Any, ...]] = (
    AS_CONTEXT_URL,
    SECURITY_V1_CONTEXT_URL,
    MULTIKEY_CONTEXT_URL,
    {**_bundled_terms(), **_INLINE_TERMS},
)


def emitted_context() -> list[Any]:
    """The `@context` value of every document we serve or send (a fresh copy, safe to mutate)."""
    return copy.deepcopy(list(EMITTED_CONTEXT))


@cache
def _load_context_document() -> dict[str, Any]:
    text = resources.files("schemas").joinpath(_CONTEXT_RESOURCE).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def context_document() -> dict[str, Any]:
    """The JSON-LD document served at `MAILLAGE_CONTEXT_URL` (a fresh copy, safe to mutate)."""
    return copy.deepcopy(_load_context_document())


def maillage_terms() -> frozenset[str]:
    """Term names our context defines in our own namespace."""
    definitions: dict[str, Any] = _load_context_document()["@context"]
    terms: set[str] = set()
    for term, definition in definitions.items():
        iri = definition.get("@id") if isinstance(definition, dict) else definition
        if (
            isinstance(iri, str)
            and iri != MAILLAGE_NAMESPACE
            and (iri.startswith("maillage:") or iri.startswith(MAILLAGE_NAMESPACE))
        ):
            terms.add(term)
    return frozenset(terms)
