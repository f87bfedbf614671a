"""Bring the keys and type names of a remote document to the compact names our models read.

Peers spell one term several ways: `addressLocality`, `schema:addressLocality`,
`sc:addressLocality`, `http://schema.org#addressLocality` or `https://schema.org/addressLocality`
(Mastodon, Mobilizon, Gancio and PeerTube declare `schema`/`sc` as `http://schema.org#` while
schema.org itself now uses `https://schema.org/`). Without running a JSON-LD processor (see
`schemas.untrusted`), we rewrite a key whose prefix or IRI is one of the namespaces we know to its
bare term, so a model has one field per term. Inline term definitions are not applied: a peer could
otherwise rename `id` or `actor` under our feet.
"""

from __future__ import annotations

from typing import Any, Final

from schemas.vocab import (
    AS_NAMESPACE,
    ICAL_NAMESPACE,
    KNOWN_TYPE_NAMES,
    LITEPUB_NAMESPACE,
    MAILLAGE_NAMESPACE,
    MASTODON_NAMESPACE,
    MOBILIZON_NAMESPACE,
    PEERTUBE_NAMESPACE,
    SCHEMA_NAMESPACES,
    SECURITY_NAMESPACE,
)

# Namespace IRI -> what its terms are called in our models. iCalendar terms keep their prefix
# because Mobilizon emits the literal key `ical:status` and we emit it back the same way.
_NAMESPACE_PREFIX: Final[dict[str, str]] = {
    AS_NAMESPACE: "",
    "http://www.w3.org/ns/activitystreams#": "",
    MOBILIZON_NAMESPACE: "",
    MASTODON_NAMESPACE: "",
    PEERTUBE_NAMESPACE: "",
    LITEPUB_NAMESPACE: "",
    SECURITY_NAMESPACE: "",
    MAILLAGE_NAMESPACE: "",
    ICAL_NAMESPACE: "ical:",
    **dict.fromkeys(SCHEMA_NAMESPACES, ""),
}
# The prefixes the fediverse uses for those namespaces, valid even when a document forgets to
# declare them (many send `schema:` keys with `schema` defined only in a context they name).
_DEFAULT_PREFIXES: Final[dict[str, str]] = {
    "as": AS_NAMESPACE,
    "schema": SCHEMA_NAMESPACES[0],
    "sc": SCHEMA_NAMESPACES[0],
    "mz": MOBILIZON_NAMESPACE,
    "toot": MASTODON_NAMESPACE,
    "pt": PEERTUBE_NAMESPACE,
    "litepub": LITEPUB_NAMESPACE,
    "sec": SECURITY_NAMESPACE,
    "ical": ICAL_NAMESPACE,
    "maillage": MAILLAGE_NAMESPACE,
}
# JSON-LD node keywords that AS2 aliases to plain keys.
_KEYWORD_ALIASES: Final = {"@id": "id", "@type": "type"}


def normalise_document(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of `document` with known-namespace keys and type names in their compact form.

    `@context` entries are dropped: the models never see them, and what we emit carries ours.

    Expects a document that passed `schemas.untrusted.check_untrusted` (bounded depth).
    """
    return _normalise_object(document, _DEFAULT_PREFIXES)


def type_name(value: Any) -> str | None:
    """The one type name our processing dispatches on: `as:Create` -> `Create`, and of several
    types (`["Event", "mz:Event"]`) the first we know, else the first given."""
    name = _normalise_type(value, _DEFAULT_PREFIXES)
    return name if isinstance(name, str) and name else None


def compact_term(name: str, prefixes: dict[str, str] = _DEFAULT_PREFIXES) -> str:
    """`schema:PostalAddress` -> `PostalAddress`; unknown names come back unchanged."""
    for namespace, local_prefix in _NAMESPACE_PREFIX.items():
        if name.startswith(namespace) and len(name) > len(namespace):
            return local_prefix + name[len(namespace) :]
    prefix, colon, local = name.partition(":")
    if colon and local and not local.startswith("//"):
        declared = prefixes.get(prefix)
        if declared is not None:
            return _NAMESPACE_PREFIX[declared] + local
    return name


def _normalise_value(value: Any, prefixes: dict[str, str]) -> Any:
    if isinstance(value, dict):
        if "@value" in value:
            # A JSON-LD value object ({"@value": "...", "@language": "fr"}): its value is the data.
            return _normalise_value(value["@value"], prefixes)
        return _normalise_object(value, prefixes)
    if isinstance(value, list):
        return [_normalise_value(item, prefixes) for item in value]
    return value


def _normalise_object(node: dict[str, Any], inherited: dict[str, str]) -> dict[str, Any]:
    prefixes = _prefixes_declared(node.get("@context"), inherited)
    result: dict[str, Any] = {}
    # Keys already in compact form win over their prefixed spellings, whatever the key order.
    for key in sorted(node, key=lambda name: ":" in name or name.startswith("@")):
        value = node[key]
        if key == "@context":
            # Checked by the guard and read for its prefixes above: consumed, not data.
            continue
        name = _KEYWORD_ALIASES.get(key) or compact_term(key, prefixes)
        if name in result:
            continue
        if name == "type":
            result[name] = _normalise_type(value, prefixes)
        else:
            result[name] = _normalise_value(value, prefixes)
    return result


def _normalise_type(value: Any, prefixes: dict[str, str]) -> Any:
    if isinstance(value, str):
        return compact_term(value, prefixes)
    if isinstance(value, list):
        names = [compact_term(item, prefixes) for item in value if isinstance(item, str)]
        # Several types ("Event" plus a vendor type): the models dispatch on one name, so keep the
        # first one they know, else the first one given.
        for name in names:
            if name in KNOWN_TYPE_NAMES:
                return name
        return names[0] if names else None
    return value


def _prefixes_declared(context: Any, inherited: dict[str, str]) -> dict[str, str]:
    entries = context if isinstance(context, list) else [context]
    prefixes = inherited
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        for term, definition in entry.items():
            if term.startswith("@"):
                continue
            if prefixes is inherited:
                prefixes = dict(inherited)
            if isinstance(definition, str) and definition in _NAMESPACE_PREFIX:
                prefixes[term] = definition
            else:
                # The document gave this prefix another meaning: its keys are not ours to rename.
                prefixes.pop(term, None)
    return prefixes
