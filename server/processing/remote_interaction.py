"""Joining or following from one's own server: a visitor gives their handle, their server's
WebFinger names where it takes interactions (the OStatus subscribe template, which Mastodon,
Mobilizon and this node publish), and the visitor is sent there with the object's URI."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from federation.fetcher import FetchError, SafeFetcher
from server.processing.neighbours import NeighbourError, split_handle

SUBSCRIBE_REL = "http://ostatus.org/schema/1.0/subscribe"


class NoInteraction(Exception):
    """The handle's server cannot be found or takes no interaction from elsewhere."""


async def interaction_url(
    fetcher: SafeFetcher, handle: str, object_uri: str, development: bool
) -> str:
    """Where to send the person of `handle` to act on `object_uri` from their own server."""
    try:
        user, host = split_handle(handle)
    except NeighbourError as error:
        raise NoInteraction(str(error)) from None
    scheme = "http" if development else "https"
    url = f"{scheme}://{host}/.well-known/webfinger?resource=acct:{user}@{host}"
    try:
        document = await fetcher.fetch_json(url)
    except FetchError as error:
        raise NoInteraction(f"WebFinger lookup failed: {error}") from None
    links = document.data.get("links")
    for link in links if isinstance(links, list) else []:
        if not isinstance(link, dict) or link.get("rel") != SUBSCRIBE_REL:
            continue
        template = link.get("template")
        if not isinstance(template, str) or "{uri}" not in template:
            continue
        target = template.replace("{uri}", quote(object_uri, safe=""))
        # Only a web address: never javascript: or any other scheme into a Location header.
        if urlsplit(target).scheme in ("https", "http") and urlsplit(target).netloc:
            return target
    raise NoInteraction(f"{host} takes no interaction from other servers")
