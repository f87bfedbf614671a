"""Open call documents: the AS2 `Page` with our call terms, and its Tombstone.

Mastodon turns a Page into a post of `<h2>name</h2>`, `summary` and a link to `url`, ignoring
`content` (mastodon/mastodon app/lib/activitypub/parser/status_parser.rb, `processed_text`), so
the summary is written to stand alone: kind, deadline, status and the start of the description.
"""

from __future__ import annotations

from html import escape
from typing import Any

from schemas.emit import to_json
from schemas.objects import Link
from schemas.opencalls import OpenCall
from server.processing.publish import PUBLIC
from server.storage.local_actors import PLACE
from server.storage.open_calls import StoredCall
from server.urls import NodeUrls

FORMER_TYPE = "Page"
EXCERPT_LENGTH = 280

# French first, English second: the network's people read French, Mastodon's readers may not.
KIND_LABELS = {
    "projects": ("Appel à projets", "Call for projects"),
    "skills": ("Appel à compétences", "Call for skills"),
    "partners": ("Appel à partenaires", "Call for partners"),
    "volunteers": ("Appel à bénévoles", "Call for volunteers"),
}
STATUS_LABELS = {
    "open": ("Ouvert", "Open"),
    "closed": ("Clos", "Closed"),
    "filled": ("Pourvu", "Filled"),
}


def kind_label(kind: str) -> str:
    french, english = KIND_LABELS.get(kind, (f"Appel ({kind})", f"Call ({kind})"))
    return f"{french} / {english}"


def status_label(status: str) -> str:
    french, english = STATUS_LABELS.get(status, (status, status))
    return f"{french} / {english}"


def summary_text(call: StoredCall) -> str:
    """The call's own summary, or one written from its fields."""
    fields = call.fields
    if fields.summary:
        return fields.summary
    parts = [kind_label(fields.kind)]
    if fields.status != "open":
        parts.append(status_label(fields.status))
    if fields.deadline is not None:
        parts.append(f"date limite / deadline : {fields.deadline.date().isoformat()}")
    head = " · ".join(parts)
    # One line: the summary is shown as one paragraph.
    excerpt = " ".join(fields.description.split())
    if len(excerpt) > EXCERPT_LENGTH:
        excerpt = excerpt[:EXCERPT_LENGTH].rsplit(" ", 1)[0] + "…"
    return f"{head}. {excerpt}" if excerpt else head


def call_document(urls: NodeUrls, call: StoredCall) -> dict[str, Any]:
    """The open call as we send it and serve it at its id (without `@context`)."""
    fields = call.fields
    model = OpenCall(
        id=call.uri,
        type="Page",
        name=fields.title,
        summary=f"<p>{escape(summary_text(call))}</p>",
        content=fields.content_html,
        media_type="text/html",
        url=[call.uri],
        attributed_to=[call.actor_uri],
        to=[PUBLIC],
        cc=[urls.followers(PLACE)],
        published=call.published_at,
        updated=call.updated_at,
        call_kind=fields.kind,
        call_status=fields.status,
        deadline=fields.deadline,
        skills_wanted=fields.skills_wanted,
        territory=fields.territory,
        contact=fields.contact,
        attachment=[
            Link(href=document["url"], name=document["name"]) for document in fields.documents
        ],
    )
    return to_json(model, with_context=False)


def tombstone_document(call: StoredCall) -> dict[str, Any]:
    deleted = call.deleted_at or call.updated_at
    return {
        "id": call.uri,
        "type": "Tombstone",
        "formerType": FORMER_TYPE,
        "deleted": deleted.isoformat().replace("+00:00", "Z"),
    }
