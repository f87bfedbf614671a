"""The two exceptions of the schemas package.

Callers that handle remote JSON catch `SchemaError` alone: the guard's `UntrustedJsonError` is a
kind of it, so "the document was refused" is one `except` clause and one 4xx answer.
"""

from __future__ import annotations


class SchemaError(ValueError):
    """A document that cannot be read as the vocabulary we exchange."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UntrustedJsonError(SchemaError):
    """Raw remote JSON refused before any model saw it (JSON-LD tricks, size, depth)."""
