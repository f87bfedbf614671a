"""Bytes from a stranger read as JSON: the one reader for inboxes, fetched documents and the API.

`json.loads` alone lets several inputs escape as exceptions nobody expects (each of them was a
500 before, issue 14): a 5,000-deep `[[[[` is a `RecursionError`, an integer of more than 4,300
digits a bare `ValueError`, and `json.loads(bytes)` guesses UTF-16 and UTF-32 and skips a BOM.
Here the body must be UTF-8 without a BOM (RFC 8259 section 8.1), its nesting is measured before
parsing, keys are unique (two `id`s that two parsers read differently is how signed content gets
swapped), and numbers are finite. Every refusal is an `UntrustedJsonError`.

`text_problem` is the one test of text that PostgreSQL cannot store: U+0000 (refused by `text` and
`jsonb`) and lone surrogates (`"\\ud800"` in JSON decodes to a code point UTF-8 cannot encode).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final, NoReturn

from schemas.errors import UntrustedJsonError

UTF8_BOM: Final = b"\xef\xbb\xbf"

# A string (possessive, and ending at its closing quote or at the end of the text, so that an
# unterminated string is consumed once rather than retried from each escaped quote inside it:
# the older pattern took seconds on 40 kB of `"\"\"\"...`) or a bracket.
_JSON_STRUCTURE: Final = re.compile(r'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)|[\[\]{}]', re.DOTALL)
_UNSTORABLE: Final = re.compile("[\x00\ud800-\udfff]")


def text_problem(text: str) -> str | None:
    """Why PostgreSQL could not store `text` (a NUL or a lone surrogate), or None."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    character = found.group()
    if character == "\x00":
        return "holds the character U+0000"
    return f"holds a lone surrogate U+{ord(character):04X}"


def json_nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in `text`, ignoring brackets inside strings.

    Measured before parsing because json.loads recurses in C and a 1 MiB `[[[[...` ends in
    a RecursionError deep inside the parser rather than a clean refusal.
    """
    depth = deepest = 0
    for token in _JSON_STRUCTURE.finditer(text):
        character = token.group()[0]
        if character in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif character in "]}":
            depth -= 1
    return deepest


def load_json(body: bytes, *, max_depth: int, max_keys: int) -> Any:
    """`body` as JSON within the limits, or `UntrustedJsonError` saying why not."""
    if body.startswith(UTF8_BOM):
        raise UntrustedJsonError("body starts with a byte order mark: JSON must be plain UTF-8")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UntrustedJsonError(
            f"body is not UTF-8 ({error.reason} at byte {error.start})"
        ) from None
    depth = json_nesting_depth(text)
    if depth > max_depth:
        raise UntrustedJsonError(f"JSON nesting depth {depth} exceeds the limit of {max_depth}")
    keys_seen = 0

    def build_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal keys_seen
        keys_seen += len(pairs)
        if keys_seen > max_keys:
            raise UntrustedJsonError(f"JSON has more than {max_keys} keys")
        built = dict(pairs)
        if len(built) != len(pairs):
            raise UntrustedJsonError("JSON object has duplicate keys")
        return built

    def refuse_constant(name: str) -> NoReturn:
        raise UntrustedJsonError(f"JSON contains {name}, which is not JSON")

    def finite_float(literal: str) -> float:
        value = float(literal)
        if not math.isfinite(value):  # `1e999` parses to inf, which nothing downstream expects
            raise UntrustedJsonError(f"JSON number {literal[:20]} is out of range")
        return value

    try:
        return json.loads(
            text,
            object_pairs_hook=build_object,
            parse_constant=refuse_constant,
            parse_float=finite_float,
        )
    except UntrustedJsonError:
        raise
    # ValueError covers JSONDecodeError and int()'s 4,300-digit limit; RecursionError is only a
    # backstop, since the depth was measured above.
    except (ValueError, RecursionError) as error:
        raise UntrustedJsonError(f"body is not valid JSON ({str(error)[:200]})") from None
