"""The application factory: routes plus the resources the node lives on, set up and torn down."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from aiohttp import web

from schemas.untrusted import MAX_REQUEST_BYTES
from server.appkeys import LIVE, METRICS, OUTAGE, SERVICES, SETTINGS, URLS
from server.config import Settings
from server.live import LiveHub
from server.logs import quiet_client_faults
from server.memory import keep_large_allocations_returnable
from server.outage import DatabaseOutage
from server.ratelimit import InboxRateLimiter, Rate
from server.routes import (
    activities,
    actors,
    agenda,
    api_accounts,
    api_calls,
    api_directory,
    api_events,
    api_moderation,
    api_moderation_reports,
    api_neighbours,
    api_openapi,
    api_participants,
    api_place,
    api_profiles,
    api_trust,
    collections,
    context,
    events,
    health,
    inbox,
    metrics,
    open_calls,
    pages,
    places_page,
    stream,
    trust_list,
    wellknown,
)
from server.routes.api_registry import API
from server.routes.authorized_fetch import authorized_fetch_middlewares
from server.routes.request_guard import refuse_bad_input
from server.routes.unavailable import database_unavailable
from server.services import open_services
from server.urls import NodeUrls
from server.web import auth, members, rendering
from server.web import calls as web_calls
from server.web import events as web_events
from server.web import home as web_home
from server.web import joining as web_joining
from server.web import moderation_domains as web_moderation_domains
from server.web import moderation_reports as web_moderation_reports
from server.web import neighbours as web_neighbours
from server.web import people as web_people
from server.web import place as web_place
from server.web import profile as web_profile
from server.web import trust as web_trust
from server.web.page_cache import PAGE_CACHE, PageCache, cached_pages, forget_pages_on_news
from server.web.sessions import web_sessions
from server.workers.supervisor import running_workers

if TYPE_CHECKING:
    from server.metrics.http import MetricsMiddleware


def inbox_rate_limiter(settings: Settings) -> InboxRateLimiter:
    """Per-server and per-address limits on inbox POSTs (SECURITY.md #17)."""
    return InboxRateLimiter(
        origin_rate=Rate(settings.inbox_origin_rate_per_second, settings.inbox_origin_burst),
        client_rate=Rate(settings.inbox_client_rate_per_second, settings.inbox_client_burst),
        max_in_flight_per_client=settings.inbox_max_in_flight_per_client,
        client_ip_header=settings.client_ip_header,
    )


# Importing a REST module declares its routes on API; this names the ones the node serves.
API_MODULES = (
    api_accounts,
    api_neighbours,
    api_events,
    api_participants,
    api_profiles,
    api_place,
    api_calls,
    api_directory,
    api_moderation,
    api_moderation_reports,
    api_trust,
)


def measuring(settings: Settings) -> list[MetricsMiddleware]:
    """The metrics middleware when /metrics can be read (a metrics_token is set); none otherwise,
    so that a node without metrics neither counts nor loads prometheus-client (about 1 MB)."""
    if settings.metrics_token is None:
        return []
    from server.metrics.http import MetricsMiddleware
    from server.metrics.registry import NodeMetrics

    return [MetricsMiddleware(NodeMetrics())]


def create_app(settings: Settings) -> web.Application:
    measured = measuring(settings)
    app = web.Application(
        client_max_size=MAX_REQUEST_BYTES,
        # The metrics see every answer; then the database guard, so that whatever reaches the
        # database behind it answers 503, not 500. The input guard is inside the rate limiter,
        # which counts what it refuses on the inboxes.
        middlewares=[
            *measured,
            database_unavailable,
            inbox_rate_limiter(settings),
            refuse_bad_input,
            *authorized_fetch_middlewares(settings),
            web_sessions,
            cached_pages,
        ],
    )
    quiet_client_faults()
    keep_large_allocations_returnable()
    if measured:
        app[METRICS] = measured[0].metrics
    app[SETTINGS] = settings
    app[URLS] = NodeUrls(settings.public_url)
    app[OUTAGE] = DatabaseOutage()
    app[PAGE_CACHE] = PageCache()
    app.cleanup_ctx.append(services_context)
    app.cleanup_ctx.append(workers_context)
    app.cleanup_ctx.append(live_context)
    app.on_shutdown.append(close_streams)
    rendering.setup(app)
    for routes in (
        health,
        wellknown,
        context,
        actors,
        collections,
        inbox,
        metrics,
        api_openapi,
        agenda,
        events,
        open_calls,
        activities,
        stream,
        pages,
        places_page,
        trust_list,
        auth,
        members,
        web_events,
        web_neighbours,
        web_home,
        web_place,
        web_joining,
        web_profile,
        web_people,
        web_calls,
        web_moderation_reports,
        web_trust,
        web_moderation_domains,
    ):
        routes.add_routes(app.router)
    API.add_routes(app.router)
    return app


async def services_context(app: web.Application) -> AsyncIterator[None]:
    async with open_services(app[SETTINGS]) as services:
        app[SERVICES] = services
        yield


async def live_context(app: web.Application) -> AsyncIterator[None]:
    """This process's share of the live stream: one LISTEN, fanned out to its SSE clients."""
    hub = LiveHub(app[SERVICES].pool, on_listening=app[OUTAGE].ended)
    app[LIVE] = hub
    forget_pages_on_news(hub, app[PAGE_CACHE])
    stop = asyncio.Event()
    task = asyncio.create_task(hub.run(stop), name="live-stream")
    yield
    stop.set()
    await task


async def close_streams(app: web.Application) -> None:
    app[LIVE].close()


async def workers_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if not settings.run_workers:
        yield
        return
    async with running_workers(app[SERVICES]):
        yield
