"""Minimal human pages for browsers that land on an ActivityPub URL."""

from __future__ import annotations

from html import escape

from server.processing.sanitise import clean_html
from server.storage.local_actors import LocalActor

PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>{title}</h1>{summary}
<p lang="en">This is a Maillage node: a tiers-lieu on a federated network (ActivityPub).</p>
</main></body></html>
"""


def actor_page(actor: LocalActor) -> str:
    # The summary is stored as sanitised HTML; cleaning it again costs little and keeps this page
    # safe whatever wrote the row.
    return PAGE.format(title=escape(actor.display_name), summary=clean_html(actor.summary))
