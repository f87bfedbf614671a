"""A member's Person document with their profile, for `network` members only.

Skills go out twice: as our `skills` term (names, what Maillage reads) and, for those linked to a
public vocabulary (ESCO...), as `Link` tags whose `href` is the vocabulary entry. Links are
Mastodon-style `PropertyValue` attachments, the avatar an `icon` Image.
"""

from __future__ import annotations

from html import escape
from typing import Any

from server.documents.actors import actor_document
from server.storage.keys import StoredKeyPair
from server.storage.local_actors import LocalActor
from server.storage.profiles import LocalProfile
from server.urls import NodeUrls


def person_document(
    urls: NodeUrls, actor: LocalActor, key_pairs: list[StoredKeyPair], local: LocalProfile
) -> dict[str, Any]:
    document = actor_document(urls, actor, key_pairs)
    if not actor.federated:
        # Only reached by a caller's mistake; the profile must still not leave the node.
        return document
    profile = local.profile
    document["name"] = profile.name or actor.display_name
    document["summary"] = profile.bio
    document["profileVisibility"] = "network"
    document["skills"] = [skill.name for skill in profile.skills]
    document["tag"] = [
        {"type": "Link", "name": skill.name, "href": skill.uri}
        for skill in profile.skills
        if skill.uri
    ]
    document["attachment"] = [
        {
            "type": "PropertyValue",
            "name": link.label,
            "value": f'<a href="{escape(link.url)}" rel="me nofollow noopener noreferrer">'
            f"{escape(link.url)}</a>",
        }
        for link in profile.links
    ]
    if profile.avatar:
        document["icon"] = {"type": "Image", "url": profile.avatar}
    if local.updated_at is not None:
        document["updated"] = local.updated_at.isoformat()
    return document
