"""A read-only view of the HTTP message being signed or verified.

Both schemes need the same facts: the method, the parts of the URL this server answered on,
header values combined the way the specs say, and the body bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from federation.signatures.errors import SignatureError

__all__ = ["HeaderInput", "Message", "authority_of"]

HeaderInput = Mapping[str, str] | Iterable[tuple[str, str]]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _header_pairs(headers: HeaderInput) -> Iterable[tuple[str, str]]:
    # A multidict's items() yields every value of a repeated header, which RFC 9421 needs.
    return headers.items() if isinstance(headers, Mapping) else headers


def _collect(headers: HeaderInput) -> dict[str, list[str]]:
    collected: dict[str, list[str]] = {}
    for name, value in _header_pairs(headers):
        collected.setdefault(name.lower(), []).append(value)
    return collected


def authority_of(parts: SplitResult) -> str:
    """Host and port as RFC 9421 section 2.2.3 wants: lowercase, default port left out."""
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is None or port == _DEFAULT_PORTS.get(parts.scheme.lower()):
        return host
    return f"{host}:{port}"


@dataclass(frozen=True)
class Message:
    method: str
    url: str
    headers: dict[str, list[str]]
    body: bytes
    parts: SplitResult
    # Only set for responses, which RFC 9421's test vectors also sign.
    status: int | None = None

    @classmethod
    def build(
        cls,
        method: str,
        url: str,
        headers: HeaderInput,
        body: bytes = b"",
        status: int | None = None,
    ) -> Message:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018  (urlsplit only checks the port when asked)
        except ValueError as error:
            raise SignatureError("malformed request URL") from error
        if not parts.scheme or not parts.hostname:
            raise SignatureError("malformed request URL")
        return cls(method, url, _collect(headers), body, parts, status)

    def field(self, name: str) -> str | None:
        """A header's value with each line trimmed and repeated lines joined by ", "."""
        values = self.headers.get(name.lower())
        if values is None:
            return None
        return ", ".join(_trim(value) for value in values)

    @property
    def has_body(self) -> bool:
        return bool(self.body) or self.method.upper() in ("POST", "PUT", "PATCH")

    @property
    def authority(self) -> str:
        return authority_of(self.parts)

    @property
    def path(self) -> str:
        return self.parts.path or "/"

    @property
    def query(self) -> str:
        return self.parts.query

    @property
    def request_target(self) -> str:
        """Path and query as on the request line, with the URL's own percent-encoding."""
        return self.path + ("?" + self.query if self.query else "")

    @property
    def target_uri(self) -> str:
        return f"{self.parts.scheme.lower()}://{self.authority}{self.request_target}"


def _trim(value: str) -> str:
    # Obsolete line folding becomes one space (RFC 9110 section 5.5) before trimming.
    if "\n" in value:
        value = " ".join(line.strip(" \t") for line in value.splitlines())
    return value.strip(" \t")
