"""The guard on raw remote JSON (SECURITY.md rows 11 and 15) and the one-exception promise."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.errors import SchemaError, UntrustedJsonError
from schemas.parse import parse_activity, parse_actor, parse_object
from schemas.untrusted import Limits, check_untrusted

NOTE: dict[str, Any] = {
    "@context": "https://www.w3.org/ns/activitystreams",
    "id": "https://a.example/notes/1",
    "type": "Note",
    "attributedTo": "https://a.example/users/ana",
    "content": "Bonjour",
}


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth - 1):
        value = {"content": value}
    return value


@pytest.mark.parametrize("keyword", ["@graph", "@included", "@reverse"])
def test_reshaping_keywords_are_refused_at_top(keyword: str) -> None:
    with pytest.raises(UntrustedJsonError, match=keyword):
        check_untrusted({**NOTE, keyword: [{"id": "https://victim.example/x"}]})


@pytest.mark.parametrize("keyword", ["@graph", "@included", "@reverse"])
def test_reshaping_keywords_are_refused_deep_inside(keyword: str) -> None:
    document = {**NOTE, "tag": [{"type": "Hashtag", "x": {keyword: {}}}]}
    with pytest.raises(UntrustedJsonError, match=rf"\$\.tag\[0\]\.x: JSON-LD keyword {keyword}"):
        check_untrusted(document)


@pytest.mark.parametrize("keyword", ["@graph", "@reverse"])
def test_inline_context_cannot_alias_a_reshaping_keyword(keyword: str) -> None:
    document = {**NOTE, "@context": [NOTE["@context"], {"things": keyword}]}
    with pytest.raises(UntrustedJsonError, match="aliasing"):
        check_untrusted(document)


def test_unknown_remote_context_is_accepted_and_ignored() -> None:
    # Fedify 2 and GoToSocial name this context in every actor and activity.
    document = {**NOTE, "@context": [NOTE["@context"], "https://gotosocial.org/ns"]}
    assert parse_object(document).id == NOTE["id"]


def test_remote_context_nested_in_an_inline_one_is_accepted() -> None:
    inline = {"foo": {"@id": "https://x.example/foo", "@context": "https://other.example/c"}}
    check_untrusted({**NOTE, "@context": [NOTE["@context"], inline]})


def test_context_import_is_accepted_and_ignored() -> None:
    check_untrusted({**NOTE, "@context": [{"@import": "https://other.example/c"}]})


def test_context_entry_of_another_kind_is_refused() -> None:
    with pytest.raises(UntrustedJsonError, match="URL or an object"):
        check_untrusted({**NOTE, "@context": [42]})


@pytest.mark.parametrize(
    "url",
    [
        "https://www.w3.org/ns/activitystreams",
        "http://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        "https://pirateradio.social/schemas/litepub-0.1.jsonld",
        "https://gotosocial.org/ns",
        "https://purl.archive.org/socialweb/webfinger",
        "https://www.w3.org/ns/activitystreams/../evil",
        "file:///etc/passwd",
        "not even a URL",
    ],
)
def test_any_context_url_is_an_identifier(url: str) -> None:
    check_untrusted({**NOTE, "@context": [url, {"inline": "https://x.example/ns#inline"}]})
    check_untrusted({**NOTE, "@context": url})


def test_depth_limit() -> None:
    check_untrusted(nested(32))
    with pytest.raises(UntrustedJsonError, match="deeper than 32"):
        check_untrusted(nested(33))


def test_depth_limit_holds_for_a_very_deep_document() -> None:
    with pytest.raises(UntrustedJsonError, match="deeper"):
        parse_activity({"type": "Create", "actor": "a", "object": nested(100_000)})


def test_item_limit() -> None:
    check_untrusted({"items": list(range(9_999))})
    with pytest.raises(UntrustedJsonError, match="more than 10000"):
        check_untrusted({"items": list(range(10_000))})
    with pytest.raises(UntrustedJsonError, match="more than 10000"):
        check_untrusted({f"k{index}": index for index in range(10_001)})


def test_string_and_key_limits() -> None:
    check_untrusted({"content": "x" * 262_144})
    with pytest.raises(UntrustedJsonError, match="string longer"):
        check_untrusted({"content": "x" * 262_145})
    with pytest.raises(UntrustedJsonError, match="key is longer"):
        check_untrusted({"k" * 1_025: 1})


def test_nul_characters_are_refused() -> None:
    # PostgreSQL's text and jsonb cannot hold U+0000.
    with pytest.raises(UntrustedJsonError, match=r"\$\.object\.name: a string holds"):
        check_untrusted({"object": {"name": "x\x00y"}})
    with pytest.raises(UntrustedJsonError, match="a key holds the character U\\+0000"):
        check_untrusted({"a\x00": 1})
    check_untrusted({"content": "\\u0000 as text is fine"})


def test_limits_are_configurable() -> None:
    with pytest.raises(UntrustedJsonError, match="deeper than 2"):
        check_untrusted({"a": {"b": 1}}, Limits(max_depth=2))


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (float("nan"), "NaN"),
        (float("inf"), "NaN"),
        (2**70, "64-bit"),
        (b"bytes", "not a JSON value"),
        ({1, 2}, "not a JSON value"),
    ],
)
def test_non_json_values_are_refused(value: object, reason: str) -> None:
    with pytest.raises(UntrustedJsonError, match=reason):
        check_untrusted({"content": value})


def test_non_string_keys_are_refused() -> None:
    with pytest.raises(UntrustedJsonError, match="not a string"):
        check_untrusted({1: "x"})


def test_untrusted_error_is_a_schema_error() -> None:
    with pytest.raises(SchemaError):
        parse_object({**NOTE, "@graph": []})


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(
        [
            "Create", "Note", "Event", "Place", "Person", "Undo", "Flag", "Join", "@graph",
            "https://www.w3.org/ns/activitystreams", "2024-01-01T10:00:00Z", "45.5", "Page",
            "VirtualLocation", "PostalAddress", "Collection", "Invite",
        ]
    )
)  # fmt: skip
KEYS = st.sampled_from(
    [
        "@context", "@graph", "@id", "@type", "@value", "id", "type", "actor", "object", "to",
        "location", "address", "latitude", "longitude", "startTime", "endTime", "attributedTo",
        "tag", "attachment", "publicKey", "endpoints", "inbox", "url", "schema:address",
        "ical:status", "eventStatus", "callKind", "first", "orderedItems", "icon", "name",
    ]
) | st.text(max_size=12)  # fmt: skip
JSON = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=40,
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(document=JSON)
def test_arbitrary_json_raises_only_schema_errors(document: Any) -> None:
    reasons = []
    for parse in (parse_activity, parse_object, parse_actor):
        try:
            parse(document)
        except SchemaError as error:
            reasons.append(error.reason)
    assert all(reasons)


@settings(max_examples=200, deadline=None)
@given(
    body=st.dictionaries(KEYS, JSON, max_size=8),
    kind=st.sampled_from(["Create", "Event", "Person", "Undo", "Place", "Group", "Flag"]),
)
def test_typed_json_raises_only_schema_errors(body: dict[str, Any], kind: str) -> None:
    document = {**body, "type": kind}
    reasons = []
    for parse in (parse_activity, parse_object, parse_actor):
        try:
            parsed = parse(document)
        except SchemaError as error:
            reasons.append(error.reason)
        else:
            # Whatever we accept, we can write back out as JSON.
            json.dumps(parsed.model_dump(mode="json"), allow_nan=False)
    assert all(reasons)
