"""Property-based fuzzing (Hypothesis) of the inbox parser and of signature verification.

The inbox parser's contract: for any bytes, `parse_body` returns an object PostgreSQL can store
(`jsonb` takes it back unchanged) or refuses with a 400; `parse_activity` on what it returns
raises `SchemaError` or gives a model; nothing else escapes. Signature verification's: for any
headers, including bytes that are not UTF-8 decoded the way aiohttp decodes them (lone
surrogates), the answer is a `SignatureError` or a verified signature, and a changed body never
verifies. Sizes scale with `MAILLAGE_FUZZ_SCALE` (see README, "Fuzzing").
"""

from __future__ import annotations

import contextlib
import json
import math
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.fuzz import fuzz_examples
from federation.keys import generate_rsa_key, public_key_to_pem
from federation.signatures import Scheme, SignatureError, signed_request_headers
from federation.signatures.verify import verify_request_sync
from schemas.errors import SchemaError
from schemas.jsontext import text_problem
from schemas.parse import parse_activity
from server.processing.incoming import Refused, parse_body

pytestmark = pytest.mark.fuzz

PROPERTIES = settings(
    max_examples=fuzz_examples(200),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Drawing whole documents is the slow part: fewer of them in the bounded run.
DOCUMENTS = settings(PROPERTIES, max_examples=fuzz_examples(80))
INBOX = "https://mende.example/inbox"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
KEY = generate_rsa_key()
PEM = public_key_to_pem(KEY)

# Every code point, lone surrogates and U+0000 included: what `\uXXXX` escapes can produce.
any_text = st.text(
    st.characters(exclude_categories=()) | st.sampled_from(["\x00", "\ud800", "\udfff"]),
    max_size=40,
)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)  # across the 64-bit bound
    | st.floats(allow_nan=False, allow_infinity=False)
    | any_text
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=6) | st.dictionaries(any_text, children, max_size=6)
    ),
    max_leaves=20,
)
activity_keys = st.sampled_from(
    ["@context", "id", "type", "actor", "object", "to", "cc", "name", "content", "tag"]
)
activity_like = st.dictionaries(activity_keys | any_text, json_values, max_size=10)


def storable(value: Any) -> bool:
    """What PostgreSQL's jsonb keeps unchanged: no NUL, no lone surrogate, finite numbers."""
    if isinstance(value, str):
        return text_problem(value) is None
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, int):
        return -(2**63) < value < 2**63
    if isinstance(value, list):
        return all(storable(item) for item in value)
    if isinstance(value, dict):
        return all(storable(key) and storable(item) for key, item in value.items())
    return value is None


def parse_or_refuse(body: bytes) -> dict[str, Any] | None:
    try:
        payload = parse_body(body)
    except Refused as refusal:
        refused = (refusal.status, bool(refusal.reason))
        assert refused == (400, True)
        return None
    assert isinstance(payload, dict)
    assert storable(payload)
    assert json.loads(json.dumps(payload, ensure_ascii=False).encode("utf-8")) == payload
    with contextlib.suppress(SchemaError):  # the only exception the model parser may raise
        parse_activity(payload)
    return payload


@PROPERTIES
@given(st.binary(max_size=300))
def test_any_bytes(body: bytes) -> None:
    parse_or_refuse(body)


@DOCUMENTS
@given(activity_like, st.booleans())
def test_any_json_document(document: dict[str, Any], ascii_escapes: bool) -> None:
    text = json.dumps(document, ensure_ascii=ascii_escapes)
    parse_or_refuse(text.encode("utf-8", "surrogatepass"))


@PROPERTIES
@given(st.integers(min_value=1, max_value=6000), st.booleans())
def test_integers_of_any_length(digits: int, negative: bool) -> None:
    number = ("-" if negative else "") + "9" * digits
    parsed = parse_or_refuse(f'{{"type": "Like", "n": {number}}}'.encode())
    assert (parsed is not None) == (digits <= 18)


@DOCUMENTS
@given(activity_like, st.sampled_from(["utf-16", "utf-16-le", "utf-32", "utf-8-sig"]))
def test_json_in_other_encodings_is_refused(document: dict[str, Any], encoding: str) -> None:
    body = json.dumps(document).encode(encoding)
    assert parse_or_refuse(body) is None


@PROPERTIES
@given(st.integers(min_value=33, max_value=3000), st.sampled_from(["[", '{"a":']))
def test_nesting_beyond_the_limit_is_refused(depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    assert parse_or_refuse((opener * depth + "1" + closer * depth).encode()) is None


# --- Signature verification ------------------------------------------------------------------

ACTIVITY = json.dumps({"type": "Follow", "actor": "https://evil.example/a"}).encode()
SIGNED = {
    scheme: signed_request_headers(
        scheme, "POST", INBOX, ACTIVITY, key=KEY, key_id="https://evil.example/a#k", now=NOW
    )
    for scheme in (Scheme.CAVAGE, Scheme.RFC9421)
}
# Header bytes as aiohttp decodes them: UTF-8, with bytes that are not as lone surrogates.
wire_text = st.binary(max_size=80).map(lambda raw: raw.decode("utf-8", "surrogateescape"))


def verified(headers: dict[str, str], body: bytes) -> bool:
    try:
        verify_request_sync("POST", INBOX, headers, body, now=NOW, lookup_key=lambda _: PEM)
    except SignatureError:
        return False
    return True


@PROPERTIES
@given(st.sampled_from(list(SIGNED)), st.data())
def test_header_bytes_that_are_not_utf8(scheme: Scheme, data: st.DataObject) -> None:
    headers = dict(SIGNED[scheme])
    name = data.draw(st.sampled_from(sorted(headers)))
    headers[name] = data.draw(wire_text)
    verified(headers, ACTIVITY)


@PROPERTIES
@given(st.sampled_from(list(SIGNED)), st.binary(max_size=len(ACTIVITY) + 8))
def test_a_changed_body_never_verifies(scheme: Scheme, body: bytes) -> None:
    assert verified(dict(SIGNED[scheme]), body) == (body == ACTIVITY)
