"""What the agenda page (/agenda) shows, for its template: the filters kept, the feeds' links."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from server.storage.agenda import AgendaItem


def agenda_values(
    items: Sequence[AgendaItem],
    query: Mapping[str, str],
    next_cursor: str | None,
    error: str | None = None,
) -> dict[str, Any]:
    kept = {key: value for key, value in query.items() if key not in ("cursor", "lang") and value}
    suffix = ("?" + urlencode(kept)) if kept else ""
    more = None
    if next_cursor is not None:
        more = "/agenda?" + urlencode(kept | {"cursor": next_cursor})
    return {
        "items": items,
        "shown": query,
        "now": query.get("now") in ("1", "true", "on"),
        "ics": "/agenda.ics" + suffix,
        "atom": "/agenda.atom" + suffix,
        "error": error,
        "more": more,
    }
