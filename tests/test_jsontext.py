"""schemas.jsontext: the one reader of JSON from strangers, and the test of storable text."""

from __future__ import annotations

import pytest

from schemas.errors import UntrustedJsonError
from schemas.jsontext import json_nesting_depth, load_json, text_problem


def load(body: bytes) -> object:
    return load_json(body, max_depth=8, max_keys=100)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"n": ' + b"1" * 4301 + b"}", "Exceeds the limit (4300 digits)"),
        (b"\xef\xbb\xbf{}", "byte order mark"),
        ('{"a": "é"}'.encode("utf-16"), "not UTF-8"),
        (b"[" * 9 + b"]" * 9, "nesting depth 9 exceeds the limit of 8"),
        (b"[" * 100_000, "nesting depth 100000"),
        (b'{"a": 1, "a": 2}', "duplicate keys"),
        (b"[NaN]", "NaN"),
        (b"[1e400]", "out of range"),
    ],
)
def test_refusals(body: bytes, message: str) -> None:
    with pytest.raises(UntrustedJsonError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load(body)


def test_escapes_decode_to_what_text_problem_finds() -> None:
    loaded = load(b'["a\\u0000b", "\\ud800", "\\ud83d\\ude00", "caf\\u00e9"]')
    assert isinstance(loaded, list)
    assert [text_problem(text) for text in loaded] == [
        "holds the character U+0000",
        "holds a lone surrogate U+D800",
        None,  # a surrogate pair is one character
        None,
    ]


@pytest.mark.timeout(30)
def test_the_depth_scan_is_linear_on_escaped_quotes() -> None:
    """The former pattern restarted at every escaped quote of an unterminated string: 40 kB took
    5 s, 1 MiB would have taken about an hour."""
    text = '"' + '\\"' * 500_000
    assert json_nesting_depth(text) == 0
    assert json_nesting_depth('["' + '\\"' * 500_000 + "\\") == 1
