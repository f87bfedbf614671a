"""The subset of RFC 8941 (Structured Field Values) that HTTP signatures and digests need.

Signature-Input, Signature and Content-Digest are Dictionaries; RFC 9421 also serialises inner
lists and component identifiers back to text, and that text must be byte-exact, so parsing keeps
the difference between a String and a Token. Every parse failure is a StructuredFieldError, the
one exception the callers turn into a 401.
"""

from __future__ import annotations

import base64
import binascii
import re
import string
from dataclasses import dataclass, field
from decimal import Decimal

__all__ = [
    "BareItem",
    "Dictionary",
    "InnerList",
    "Item",
    "Params",
    "StructuredFieldError",
    "Token",
    "parse_dictionary",
    "serialize_bare_item",
    "serialize_inner_list",
    "serialize_item",
    "serialize_params",
]


class StructuredFieldError(ValueError):
    """The text is not a valid structured field of the expected type."""


class Token(str):
    """An sf-token, kept apart from sf-string because both serialise differently."""

    __slots__ = ()


BareItem = int | Decimal | str | bytes | bool
Params = dict[str, BareItem]


@dataclass(frozen=True)
class Item:
    value: BareItem
    params: Params = field(default_factory=dict)


@dataclass(frozen=True)
class InnerList:
    items: tuple[Item, ...]
    params: Params = field(default_factory=dict)


Dictionary = dict[str, Item | InnerList]

_KEY_FIRST = frozenset(string.ascii_lowercase + "*")
_KEY_REST = frozenset(string.ascii_lowercase + string.digits + "_-.*")
_TOKEN_FIRST = frozenset(string.ascii_letters + "*")
# RFC 9110 tchar, plus ":" and "/" which RFC 8941 section 3.3.4 allows in tokens.
_TOKEN_REST = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~:/")
_BASE64 = frozenset(string.ascii_letters + string.digits + "+/=")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]*)?")
_MAX_INTEGER = 999_999_999_999_999


class _Parser:
    """A cursor over one field value, following the algorithms of RFC 8941 section 4.2."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def take(self, expected: str) -> None:
        if self.peek() != expected:
            raise StructuredFieldError(f"expected {expected!r} at {self.pos}")
        self.pos += 1

    def skip(self, chars: str) -> None:
        while not self.at_end() and self.text[self.pos] in chars:
            self.pos += 1

    def dictionary(self) -> Dictionary:
        members: Dictionary = {}
        while not self.at_end():
            key = self.key()
            if self.peek() == "=":
                self.pos += 1
                members[key] = self.item_or_inner_list()
            else:
                members[key] = Item(True, self.params())
            self.skip(" \t")
            if self.at_end():
                break
            self.take(",")
            self.skip(" \t")
            if self.at_end():
                raise StructuredFieldError("trailing comma")
        return members

    def item_or_inner_list(self) -> Item | InnerList:
        if self.peek() == "(":
            return self.inner_list()
        return self.item()

    def inner_list(self) -> InnerList:
        self.take("(")
        items: list[Item] = []
        while True:
            self.skip(" ")
            if self.peek() == ")":
                self.pos += 1
                return InnerList(tuple(items), self.params())
            items.append(self.item())
            if self.peek() not in (" ", ")"):
                raise StructuredFieldError(f"bad inner list at {self.pos}")

    def item(self) -> Item:
        value = self.bare_item()
        return Item(value, self.params())

    def params(self) -> Params:
        params: Params = {}
        while self.peek() == ";":
            self.pos += 1
            self.skip(" ")
            key = self.key()
            value: BareItem = True
            if self.peek() == "=":
                self.pos += 1
                value = self.bare_item()
            params[key] = value
        return params

    def key(self) -> str:
        start = self.pos
        if self.peek() not in _KEY_FIRST:
            raise StructuredFieldError(f"bad key at {self.pos}")
        self.pos += 1
        while not self.at_end() and self.text[self.pos] in _KEY_REST:
            self.pos += 1
        return self.text[start : self.pos]

    def bare_item(self) -> BareItem:
        char = self.peek()
        if char == "-" or (char.isdigit() and char.isascii()):
            return self.number()
        if char == '"':
            return self.string()
        if char == ":":
            return self.byte_sequence()
        if char == "?":
            return self.boolean()
        if char and char in _TOKEN_FIRST:
            return self.token()
        raise StructuredFieldError(f"bad item at {self.pos}")

    def number(self) -> int | Decimal:
        match = _NUMBER.match(self.text, self.pos)
        if match is None:
            raise StructuredFieldError(f"bad number at {self.pos}")
        text = match.group(0)
        self.pos = match.end()
        digits = text.lstrip("-")
        if match.group(1) is None:
            if len(digits) > 15:
                raise StructuredFieldError("integer too long")
            return int(text)
        whole, _, fraction = digits.partition(".")
        if len(whole) > 12 or not 1 <= len(fraction) <= 3:
            raise StructuredFieldError("bad decimal")
        return Decimal(text)

    def string(self) -> str:
        self.take('"')
        chars: list[str] = []
        while not self.at_end():
            char = self.text[self.pos]
            self.pos += 1
            if char == "\\":
                escaped = self.peek()
                if escaped not in ('"', "\\"):
                    raise StructuredFieldError("bad escape in string")
                chars.append(escaped)
                self.pos += 1
            elif char == '"':
                return "".join(chars)
            elif not " " <= char <= "~":
                raise StructuredFieldError("bad character in string")
            else:
                chars.append(char)
        raise StructuredFieldError("unterminated string")

    def token(self) -> Token:
        start = self.pos
        self.pos += 1
        while not self.at_end() and self.text[self.pos] in _TOKEN_REST:
            self.pos += 1
        return Token(self.text[start : self.pos])

    def byte_sequence(self) -> bytes:
        self.take(":")
        end = self.text.find(":", self.pos)
        if end < 0:
            raise StructuredFieldError("unterminated byte sequence")
        encoded = self.text[self.pos : end]
        self.pos = end + 1
        if not set(encoded) <= _BASE64:
            raise StructuredFieldError("bad byte sequence")
        # RFC 8941 lets parsers accept missing padding; peers do omit it.
        try:
            return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        except (binascii.Error, ValueError) as error:
            raise StructuredFieldError("bad byte sequence") from error

    def boolean(self) -> bool:
        self.take("?")
        char = self.peek()
        if char not in ("0", "1"):
            raise StructuredFieldError("bad boolean")
        self.pos += 1
        return char == "1"


def parse_dictionary(text: str) -> Dictionary:
    """Parse an sf-dictionary; an empty or blank value is an empty dictionary."""
    parser = _Parser(text.strip(" "))
    return parser.dictionary()


def serialize_bare_item(value: BareItem) -> str:
    # bool before int: True is an int in Python.
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        if abs(value) > _MAX_INTEGER:
            raise StructuredFieldError("integer out of range")
        return str(value)
    if isinstance(value, Decimal):
        return _serialize_decimal(value)
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode("ascii") + ":"
    if isinstance(value, Token):
        return str(value)
    return _serialize_string(value)


def _serialize_decimal(value: Decimal) -> str:
    rounded = value.quantize(Decimal("0.001"))
    text = format(rounded, "f").rstrip("0")
    return text + "0" if text.endswith(".") else text


def _serialize_string(value: str) -> str:
    if any(not " " <= char <= "~" for char in value):
        raise StructuredFieldError("string with a character outside printable ASCII")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def serialize_params(params: Params) -> str:
    parts: list[str] = []
    for key, value in params.items():
        parts.append(";" + key if value is True else f";{key}={serialize_bare_item(value)}")
    return "".join(parts)


def serialize_item(item: Item) -> str:
    return serialize_bare_item(item.value) + serialize_params(item.params)


def serialize_inner_list(inner: InnerList) -> str:
    body = " ".join(serialize_item(item) for item in inner.items)
    return f"({body}){serialize_params(inner.params)}"
