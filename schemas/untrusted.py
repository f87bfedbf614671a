"""The guard run on raw remote JSON before any model sees it.

SECURITY.md row 11 (Mastodon CVE-2022-24307): JSON-LD keywords that re-shape a document
(`@graph`, `@included`, `@reverse`) and remote contexts let a peer make a JSON-LD processor read
something other than what a plain JSON reader sees. We never run a JSON-LD processor and never
fetch a context, so a context URL, known or not, is only an identifier: it is accepted and
ignored, like inline context objects and `@import` (Fedify 2 and GoToSocial name
`https://gotosocial.org/ns` in every document; refusing unfamiliar URLs cut us off from them).
What stays refused is what would make a plain JSON reader and a JSON-LD reader disagree: the
re-shaping keywords, and inline terms that alias them. Row 15 (Fedify GHSA-mc44): depth, item
count and string length are bounded so that a hostile document costs a bounded amount of work.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from schemas.errors import UntrustedJsonError
from schemas.jsontext import text_problem

FORBIDDEN_KEYWORDS: Final = frozenset({"@graph", "@included", "@reverse"})
# Mastodon caps inbound activities at 1 MiB; so do we, for every request body (SECURITY.md #15).
MAX_REQUEST_BYTES: Final = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on one document. The defaults fit a 1 MiB body (Mastodon's cap on fetches)."""

    max_depth: int = 32
    max_items: int = 10_000
    max_string_length: int = 262_144
    max_key_length: int = 1_024


DEFAULT_LIMITS: Final = Limits()
_MAX_INT: Final = 2**63


def check_untrusted(document: object, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise `UntrustedJsonError` unless `document` is plain, bounded, trick-free JSON."""
    items = 0
    # An explicit stack rather than recursion: depth is what we are policing.
    stack: list[tuple[object, str, int, bool]] = [(document, "$", 1, False)]
    while stack:
        value, path, depth, in_context = stack.pop()
        if depth > limits.max_depth:
            raise UntrustedJsonError(f"{path}: nesting deeper than {limits.max_depth} levels")
        if isinstance(value, dict):
            items += len(value)
            if items > limits.max_items:
                raise UntrustedJsonError(f"{path}: more than {limits.max_items} keys and items")
            for key, child in value.items():
                child_path = _check_key(key, path, limits)
                if key == "@context":
                    items += len(child) if isinstance(child, list) else 0
                    for entry_path, entry in _context_entries(child, child_path):
                        stack.append((entry, entry_path, depth + 1, True))
                else:
                    stack.append((child, child_path, depth + 1, in_context))
        elif isinstance(value, list):
            items += len(value)
            if items > limits.max_items:
                raise UntrustedJsonError(f"{path}: more than {limits.max_items} keys and items")
            stack.extend(
                (child, f"{path}[{index}]", depth + 1, in_context)
                for index, child in enumerate(value)
            )
        else:
            _check_scalar(value, path, in_context, limits)


def _check_key(key: object, path: str, limits: Limits) -> str:
    if not isinstance(key, str):
        raise UntrustedJsonError(f"{path}: object key {key!r} is not a string")
    if len(key) > limits.max_key_length:
        raise UntrustedJsonError(f"{path}: a key is longer than {limits.max_key_length} characters")
    problem = text_problem(key)
    if problem is not None:
        raise UntrustedJsonError(f"{path}: a key {problem}")
    if key in FORBIDDEN_KEYWORDS:
        raise UntrustedJsonError(f"{path}: JSON-LD keyword {key} is not accepted")
    return f"{path}.{key}"


def _context_entries(context: object, path: str) -> Iterator[tuple[str, object]]:
    """Yield the inline objects of a `@context` value for the walk; its URLs are identifiers,
    never fetched, so any URL is fine (the walk bounds their length like any string)."""
    entries = context if isinstance(context, list) else [context]
    for index, entry in enumerate(entries):
        entry_path = f"{path}[{index}]" if isinstance(context, list) else path
        if entry is None or isinstance(entry, dict | str):
            yield entry_path, entry
        else:
            raise UntrustedJsonError(f"{entry_path}: a context entry must be a URL or an object")


def _check_scalar(value: object, path: str, in_context: bool, limits: Limits) -> None:
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        if len(value) > limits.max_string_length:
            raise UntrustedJsonError(
                f"{path}: string longer than {limits.max_string_length} characters"
            )
        # PostgreSQL's text and jsonb cannot hold NUL or a lone surrogate: refused here, it is a
        # 400, not a failed write (which would fail the other activities written with it).
        problem = text_problem(value)
        if problem is not None:
            raise UntrustedJsonError(f"{path}: a string {problem}")
        # Inside an inline context, a term defined as one of these keywords would turn a plain
        # key into the keyword for any JSON-LD processor downstream.
        if in_context and value in FORBIDDEN_KEYWORDS:
            raise UntrustedJsonError(f"{path}: a term aliasing {value} is not accepted")
        return
    if isinstance(value, int):
        if not -_MAX_INT < value < _MAX_INT:
            raise UntrustedJsonError(f"{path}: integer out of the 64-bit range")
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise UntrustedJsonError(f"{path}: NaN and infinities are not JSON")
        return
    raise UntrustedJsonError(f"{path}: {type(value).__name__} is not a JSON value")
