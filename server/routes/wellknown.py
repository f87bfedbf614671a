"""Discovery: WebFinger, host-meta, NodeInfo 2.1 and the FEP-2677 application actor link."""

from __future__ import annotations

import json
from importlib.metadata import version
from xml.sax.saxutils import quoteattr

from aiohttp import web

from federation.hosts import canonical_host
from server.appkeys import SERVICES, SETTINGS, URLS
from server.processing.remote_interaction import SUBSCRIBE_REL
from server.storage import local_actors, statistics
from server.storage.local_actors import APPLICATION

JRD = "application/jrd+json"
NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.1"
APPLICATION_REL = "https://www.w3.org/ns/activitystreams#Application"


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/.well-known/webfinger", webfinger)
    router.add_get("/.well-known/host-meta", host_meta)
    router.add_get("/.well-known/nodeinfo", nodeinfo_links)
    router.add_get("/nodeinfo/2.1", nodeinfo)


def requested_actor_name(resource: str, request: web.Request) -> str | None:
    """The local actor a WebFinger `resource` names: `acct:name@our-domain` or our actor URL."""
    urls = request.app[URLS]
    if resource.startswith("acct:"):
        user, _, domain = resource.removeprefix("acct:").rpartition("@")
        try:
            same_domain = canonical_host(domain) == urls.host
        except ValueError:
            return None
        return user.lower() if user and same_domain else None
    return urls.local_actor_name(resource)


async def webfinger(request: web.Request) -> web.Response:
    resource = request.query.get("resource", "").strip()
    if not resource:
        raise web.HTTPBadRequest(text="the resource parameter is required")
    name = requested_actor_name(resource, request)
    if name is not None:
        async with request.app[SERVICES].pool.acquire() as connection:
            actor = await local_actors.find_federated_actor(connection, name)
    if name is None or actor is None:
        raise web.HTTPNotFound(text=f"no actor for {resource!r} on this node")
    urls = request.app[URLS]
    uri = urls.actor(name)
    document = {
        "subject": f"acct:{name}@{urls.host}",
        "aliases": [uri],
        "links": [
            {"rel": "self", "type": "application/activity+json", "href": uri},
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": uri},
            # Where a visitor of another server is sent to join or follow from here (as Mastodon).
            {"rel": SUBSCRIBE_REL, "template": f"{urls.base}/interact?uri={{uri}}"},
        ],
    }
    return web.json_response(
        document, content_type=JRD, headers={"Access-Control-Allow-Origin": "*"}
    )


async def host_meta(request: web.Request) -> web.Response:
    template = quoteattr(f"{request.app[URLS].base}/.well-known/webfinger?resource={{uri}}")
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" type="application/jrd+json" template={template}/>\n'
        "</XRD>\n"
    )
    return web.Response(text=body, content_type="application/xrd+xml")


async def nodeinfo_links(request: web.Request) -> web.Response:
    urls = request.app[URLS]
    return web.json_response(
        {
            "links": [
                {"rel": NODEINFO_SCHEMA, "href": f"{urls.base}/nodeinfo/2.1"},
                {"rel": APPLICATION_REL, "href": urls.actor(APPLICATION)},
            ]
        }
    )


async def nodeinfo(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    async with request.app[SERVICES].pool.acquire() as connection:
        counts = await statistics.usage(connection)
    document = {
        "version": "2.1",
        "software": {
            "name": "maillage",
            "version": version("maillage"),
            "homepage": "https://maillage.social/",
        },
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": False,
        "usage": {
            "users": {"total": counts.users},
            "localPosts": counts.local_posts,
        },
        "metadata": {
            "nodeName": settings.place_name,
            "placeName": settings.place_name,
            # Limited federation mode: only the domains an `allow` policy covers are federated
            # with (FEDERATION.md, Moderation). "open": every domain but the suspended ones.
            "federation": {"mode": "limited" if settings.limited_federation else "open"},
        },
    }
    return web.Response(
        text=json.dumps(document),
        headers={"Content-Type": f'application/json; profile="{NODEINFO_SCHEMA}#"'},
    )
