"""RFC 9421 HTTP Message Signatures: signature bases, parsing, signing and checking.

Section numbers below are RFC 9421's. HMAC (B.2.5) is left out on purpose: shared secrets
have no place between federated servers.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from federation.keys import PrivateKey, PublicKey, public_key_of
from federation.signatures import algorithms
from federation.signatures.errors import SignatureError
from federation.signatures.message import Message
from federation.signatures.structured_fields import (
    InnerList,
    Item,
    Params,
    StructuredFieldError,
    Token,
    parse_dictionary,
    serialize_inner_list,
    serialize_item,
)

__all__ = [
    "ParsedSignature",
    "parse_signatures",
    "sign_message",
    "signature_base",
    "verify_parsed",
]

# Far more than any real signer covers; bounds the work a hostile header can ask for.
_MAX_COMPONENTS = 32
_MAX_LABELS = 8
_DERIVED = frozenset(
    {
        "@method",
        "@target-uri",
        "@authority",
        "@scheme",
        "@request-target",
        "@path",
        "@query",
        "@query-param",
        "@status",
    }
)
# Section 2.2.8 re-encodes with the WHATWG urlencoded set: only these bytes stay literal.
_QUERY_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789*-._")


@dataclass(frozen=True)
class ParsedSignature:
    label: str
    covered: InnerList
    signature: bytes

    @property
    def components(self) -> tuple[str, ...]:
        """Covered component names (parameters dropped), e.g. ("@method", "content-digest")."""
        return tuple(str(item.value) for item in self.covered.items)

    @property
    def params(self) -> Params:
        return self.covered.params

    def text_param(self, name: str) -> str | None:
        value = self.params.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or isinstance(value, Token):
            raise SignatureError(f"malformed {name}")
        return value

    def int_param(self, name: str) -> int | None:
        value = self.params.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise SignatureError(f"malformed {name}")
        return value


def parse_signatures(message: Message) -> list[ParsedSignature]:
    """Pair each Signature-Input label with its Signature, in the order the signer sent them."""
    inputs = _dictionary(message.field("signature-input"), "signature input")
    values = _dictionary(message.field("signature"), "signature")
    if len(inputs) > _MAX_LABELS:
        raise SignatureError("too many signatures")
    parsed: list[ParsedSignature] = []
    for label, covered in inputs.items():
        value = values.get(label)
        if value is None:
            continue
        if not isinstance(covered, InnerList):
            raise SignatureError("malformed signature input")
        if not isinstance(value, Item) or not isinstance(value.value, bytes):
            raise SignatureError("malformed signature")
        _check_components(covered)
        parsed.append(ParsedSignature(label, covered, value.value))
    if not parsed:
        raise SignatureError("no signature matches signature input")
    return parsed


def _dictionary(text: str | None, what: str) -> dict[str, Item | InnerList]:
    if text is None:
        raise SignatureError(f"missing {what}")
    try:
        return parse_dictionary(text)
    except StructuredFieldError as error:
        raise SignatureError(f"malformed {what}") from error


def _check_components(covered: InnerList) -> None:
    if len(covered.items) > _MAX_COMPONENTS:
        raise SignatureError("too many covered components")
    seen: set[str] = set()
    for item in covered.items:
        name = item.value
        if not isinstance(name, str) or isinstance(name, Token) or not name:
            raise SignatureError("malformed component")
        if name != name.lower() or name == "@signature-params":
            raise SignatureError("malformed component")
        identifier = serialize_item(item)
        if identifier in seen:
            raise SignatureError("duplicate component")
        seen.add(identifier)


def signature_base(message: Message, covered: InnerList) -> bytes:
    """The exact bytes that are signed (section 2.5)."""
    _check_components(covered)
    lines = [f"{serialize_item(item)}: {_component_value(message, item)}" for item in covered.items]
    try:
        lines.append(f'"@signature-params": {serialize_inner_list(covered)}')
    except StructuredFieldError as error:
        raise SignatureError("malformed signature input") from error
    try:
        return "\n".join(lines).encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as error:
        raise SignatureError("unencodable header value") from error


def _component_value(message: Message, item: Item) -> str:
    name = str(item.value)
    if name.startswith("@"):
        return _derived_value(message, name, item.params)
    if item.params:
        # sf, key, bs, req and tr change the value; refusing beats signing something else.
        raise SignatureError(f"unsupported component parameter on {name}")
    value = message.field(name)
    if value is None:
        raise SignatureError(f"missing header: {name}")
    return value


def _derived_value(message: Message, name: str, params: Params) -> str:
    if name not in _DERIVED or (params and name != "@query-param"):
        raise SignatureError(f"unsupported component: {name}")
    if name == "@query-param":
        return _query_param(message, params)
    if name == "@status":
        if message.status is None:
            raise SignatureError("unsupported component: @status")
        return str(message.status)
    values = {
        "@method": message.method,
        "@target-uri": message.target_uri,
        "@authority": message.authority,
        "@scheme": message.parts.scheme.lower(),
        "@request-target": message.request_target,
        "@path": message.path,
        "@query": "?" + message.query,
    }
    return values[name]


def _query_param(message: Message, params: Params) -> str:
    wanted = params.get("name")
    if len(params) != 1 or not isinstance(wanted, str) or isinstance(wanted, Token):
        raise SignatureError("malformed component")
    found = [value for key, value in _form_pairs(message.query) if key == wanted]
    if len(found) != 1:
        # Absent, or repeated and so ambiguous: section 2.2.8 lets us refuse both.
        raise SignatureError(f"missing query parameter: {wanted}")
    return found[0]


def _form_pairs(query: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for chunk in query.split("&"):
        if chunk:
            name, _, value = chunk.partition("=")
            pairs.append((_reencode(name), _reencode(value)))
    return pairs


def _reencode(text: str) -> str:
    decoded = unquote_to_bytes(text.replace("+", " "))
    return "".join(chr(byte) if byte in _QUERY_SAFE else f"%{byte:02X}" for byte in decoded)


def verify_parsed(parsed: ParsedSignature, base: bytes, key: PublicKey) -> str:
    """Check one signature over its base; return the algorithm that verified it."""
    named = parsed.text_param("alg")
    if named is not None:
        if named not in algorithms.ALGORITHMS:
            raise SignatureError("unsupported algorithm")
        algorithms.check_key_matches(named, key)
        candidates: tuple[str, ...] = (named,)
    else:
        candidates = algorithms.algorithms_for_key(key)
    for algorithm in candidates:
        if algorithms.verify(algorithm, key, parsed.signature, base):
            return algorithm
    raise SignatureError("bad signature")


def sign_message(
    message: Message,
    key: PrivateKey,
    key_id: str,
    *,
    created: int,
    components: Sequence[str],
    label: str = "sig1",
    algorithm: str | None = None,
) -> dict[str, str]:
    """`Signature-Input` and `Signature` header values for the given covered components."""
    usable = algorithms.algorithms_for_key(public_key_of(key))
    if algorithm is None and not usable:
        raise ValueError(f"no RFC 9421 algorithm for a {type(key).__name__}")
    chosen = algorithm or usable[0]
    covered = InnerList(
        tuple(Item(name) for name in components),
        {"created": created, "keyid": key_id, "alg": chosen},
    )
    base = signature_base(message, covered)
    signature = algorithms.sign(chosen, key, base)
    encoded = base64.b64encode(signature).decode("ascii")
    return {
        "Signature-Input": f"{label}={serialize_inner_list(covered)}",
        "Signature": f"{label}=:{encoded}:",
    }
