"""What verification returns, and the one exception it raises."""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["Scheme", "SignatureError", "VerifiedSignature"]


class Scheme(enum.StrEnum):
    CAVAGE = "draft-cavage-http-signatures-12"
    RFC9421 = "rfc9421"


class SignatureError(Exception):
    """The request's signature is not acceptable; `reason` is short enough for a 401 body."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class VerifiedSignature:
    key_id: str
    scheme: Scheme
    algorithm: str
    covered: tuple[str, ...]
