"""Refusals that processing explains to a person.

Each carries a stable `code` beside its English message: the API answers with both, and the
pages show the code's message from the catalogues (server/web/errors.py), so that a French
page never shows an English sentence from processing.
"""

from __future__ import annotations


class ProcessingError(Exception):
    """A refusal; `code` names it for every language, `message` says it in English."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
