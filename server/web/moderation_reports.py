"""Pages for reports and blocks: the moderators' queue, and a member's report or block of what
they see. The API's processing and roles (server.routes.api_moderation_reports)."""

from __future__ import annotations

from aiohttp import web

from server.appkeys import SERVICES
from server.processing import blocks, reports
from server.processing.neighbours import NeighbourError, resolve_actor_uri
from server.routes.api_moderation_reports import may_change_domains
from server.storage import blocks as stored_blocks
from server.storage import local_actors
from server.storage import reports as stored_reports
from server.storage.local_actors import PLACE
from server.storage.reports import RESOLUTIONS
from server.web.forms import N_
from server.web.rendering import render
from server.web.sessions import account_for_action, posted_form, redirect, signed_in

QUEUE = ("GET", "/api/v1/moderation/reports")
RESOLVE = ("POST", "/api/v1/moderation/reports/{id}/resolve")
PLACE_BLOCK = ("POST", "/api/v1/moderation/blocks")
PLACE_UNBLOCK = ("DELETE", "/api/v1/moderation/blocks")
REPORT = ("POST", "/api/v1/reports")
MY_BLOCK = ("POST", "/api/v1/me/blocks")
RESOLUTION_NAMES = {
    "no_action": N_("No action"),
    "limit": N_("Limit its domain"),
    "suspend": N_("Suspend its domain"),
    "remove_content": N_("Remove the content here"),
}
QUEUE_PATH = "/manage/moderation/reports"


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get(QUEUE_PATH, queue_page)
    router.add_post(QUEUE_PATH + "/{id:\\d{1,18}}/resolve", resolve)
    router.add_post("/manage/moderation/blocks", block_as_place)
    router.add_post("/manage/moderation/blocks/remove", unblock_as_place)
    router.add_get("/report", report_page)
    router.add_post("/report", report)
    router.add_post("/me/blocks", block_as_member)


async def queue_page(request: web.Request, error: str | None = None) -> web.Response:
    account = account_for_action(request, *QUEUE)
    async with request.app[SERVICES].pool.acquire() as connection:
        open_reports = await stored_reports.list_reports(connection, state="open")
        resolved = await stored_reports.list_reports(connection, state="resolved", limit=20)
        blocked = await stored_blocks.list_blocks(connection, PLACE)
    allowed = may_change_domains(account)
    values = {
        "open_reports": open_reports,
        "resolved": resolved,
        "blocked": blocked,
        "resolutions": [r for r in RESOLUTIONS if allowed or r not in reports.DOMAIN_RESOLUTIONS],
        "resolution_names": RESOLUTION_NAMES,
        "error": error,
    }
    return render(request, "moderation_reports.html", values, status=200 if error is None else 422)


async def resolve(request: web.Request) -> web.StreamResponse:
    account = account_for_action(request, *RESOLVE)
    form = await posted_form(request)
    resolution = form.get("resolution", "")
    if resolution not in RESOLUTIONS:
        return await queue_page(request, N_("Choose what to do."))
    services = request.app[SERVICES]
    try:
        await reports.resolve(
            services.pool,
            report_id=int(request.match_info["id"]),
            resolution=resolution,  # type: ignore[arg-type]  # checked against RESOLUTIONS
            reason=form.get("reason", "").strip()[:2000],
            who=account.username,
            local_hosts=frozenset({services.urls.host}),
            urls=services.urls,
            may_change_domains=may_change_domains(account),
        )
    except LookupError:
        raise web.HTTPNotFound() from None
    except reports.ReportError:
        return await queue_page(request, N_("This report cannot be resolved so."))
    raise redirect(request, QUEUE_PATH, "report-resolved")


async def block_as(request: web.Request, blocker: str, target: str, reason: str) -> bool:
    services = request.app[SERVICES]
    try:
        uri = await blocks.resolve_target(
            services.node, services.actors, services.fetcher, target, services.settings.development
        )
        await blocks.block(
            services.pool,
            services.node,
            blocker=blocker,
            actor_uri=uri,
            who=signed_in(request).username,
            reason=reason[:2000],
        )
    except blocks.BlockError:
        return False
    return True


async def block_as_place(request: web.Request) -> web.StreamResponse:
    account_for_action(request, *PLACE_BLOCK)
    form = await posted_form(request)
    if not await block_as(request, PLACE, form.get("target", "").strip(), form.get("reason", "")):
        return await queue_page(request, N_("No actor of another node answers at this address."))
    raise redirect(request, QUEUE_PATH, "blocked")


async def unblock_as_place(request: web.Request) -> web.StreamResponse:
    account = account_for_action(request, *PLACE_UNBLOCK)
    form = await posted_form(request)
    services = request.app[SERVICES]
    try:
        uri = await resolve_actor_uri(
            services.fetcher, form.get("target", "").strip(), services.settings.development
        )
    except NeighbourError:
        raise redirect(request, QUEUE_PATH) from None
    await blocks.unblock(
        services.pool, services.node, blocker=PLACE, actor_uri=uri, who=account.username
    )
    raise redirect(request, QUEUE_PATH, "unblocked")


async def report_page(request: web.Request) -> web.Response:
    """What a member reports or blocks, from a link beside a remote event or person."""
    signed_in(request)
    target = request.query.get("target", "").strip()[:2048]
    services = request.app[SERVICES]
    actor = None
    async with services.pool.acquire() as connection:
        try:
            found = await reports.reported(connection, services.node, target)
            actor = None if services.urls.is_local(found.actor) else found.actor
        except reports.ReportError:
            found = None
    values = {"target": target, "known": found is not None, "actor": actor}
    return render(request, "report.html", values, status=200 if found else 404)


async def report(request: web.Request) -> web.StreamResponse:
    account = account_for_action(request, *REPORT)
    form = await posted_form(request)
    services = request.app[SERVICES]
    try:
        await reports.file_report(
            services.pool,
            services.node,
            reporter=account.username,
            target=form.get("target", "").strip()[:2048],
            comment=form.get("comment", "")[:5000],
            forward=form.get("forward") == "yes",
        )
    except reports.ReportError:
        raise web.HTTPNotFound() from None
    raise redirect(request, "/manage", "report-filed")


async def block_as_member(request: web.Request) -> web.StreamResponse:
    account = account_for_action(request, *MY_BLOCK)
    form = await posted_form(request)
    async with request.app[SERVICES].pool.acquire() as connection:
        has_actor = await local_actors.find_local_actor(connection, account.username) is not None
    target = form.get("target", "").strip()
    if not has_actor or not await block_as(request, account.username, target, ""):
        raise web.HTTPNotFound()
    raise redirect(request, "/manage", "blocked")
