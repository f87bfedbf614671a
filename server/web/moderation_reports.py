"""Pages for reports and blocks: the moderators' queue, and a member's report or block of what
they see. The API's processing and roles (server.routes.api_moderation_reports)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from aiohttp import web

from server.appkeys import SERVICES
from server.processing import blocks, reports
from server.processing.neighbours import NeighbourError, resolve_actor_uri
from server.processing.report_names import names_of
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
STATES = ("open", "resolved", "all")
PAGE_SIZE = 20
NO_ACTOR = N_("No actor of another node answers at this address.")
NOTHING_KNOWN = N_("Nothing known here by this address.")
NO_OWN_ACTOR = N_("Only a member with a profile of their own can block as themselves.")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get(QUEUE_PATH, queue_page)
    router.add_post(QUEUE_PATH + "/{id:\\d{1,18}}/resolve", resolve)
    router.add_post("/manage/moderation/blocks", block_as_place)
    router.add_post("/manage/moderation/blocks/remove", unblock_as_place)
    router.add_get("/report", report_page)
    router.add_post("/report", report)
    router.add_post("/me/blocks", block_as_member)


@dataclass(frozen=True)
class QueueView:
    """Which reports the queue page shows: a state (or all) and one page, by id."""

    state: str = "open"
    before: int | None = None
    after: int | None = None

    @classmethod
    def of(cls, query: Mapping[str, str]) -> QueueView:
        # A malformed page or filter is shown as the first page of the open reports.
        state = query.get("state", "open")
        return cls(
            state=state if state in STATES else "open",
            before=report_number(query.get("before", "")),
            after=report_number(query.get("after", "")),
        )

    def link(self, **page: int) -> str:
        return QUEUE_PATH + "?" + urlencode({"state": self.state, **page})


def report_number(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) <= 18 else None


async def queue_page(
    request: web.Request,
    error: str | None = None,
    block_values: dict[str, str] | None = None,
    block_errors: dict[str, str] | None = None,
) -> web.Response:
    account = account_for_action(request, *QUEUE)
    view = QueueView.of(request.query)
    services = request.app[SERVICES]
    state = None if view.state == "all" else view.state
    async with services.pool.acquire() as connection:
        # One more than a page tells whether another page lies that way.
        if view.after is not None:
            found = await stored_reports.list_reports(
                connection, state=state, limit=PAGE_SIZE + 1, after=view.after
            )
            newer, shown, older = len(found) > PAGE_SIZE, found[-PAGE_SIZE:], True
        else:
            found = await stored_reports.list_reports(
                connection, state=state, limit=PAGE_SIZE + 1, before=view.before
            )
            newer, shown, older = view.before is not None, found[:PAGE_SIZE], len(found) > PAGE_SIZE
        names = await names_of(connection, services.node, shown)
        blocked = await stored_blocks.list_blocks(connection, PLACE)
    allowed = may_change_domains(account)
    values = {
        "reports": shown,
        "names": names,
        "view": view,
        "states": STATES,
        "newer": view.link(after=shown[0].id) if newer and shown else None,
        "older": view.link(before=shown[-1].id) if older and shown else None,
        "blocked": blocked,
        "resolutions": [r for r in RESOLUTIONS if allowed or r not in reports.DOMAIN_RESOLUTIONS],
        "resolution_names": RESOLUTION_NAMES,
        "error": error,
        "values": block_values or {},
        "errors": block_errors or {},
    }
    failed = error is not None or bool(block_errors)
    return render(request, "moderation_reports.html", values, status=422 if failed else 200)


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
    """Whether `blocker` now blocks the actor `target` names (False: no such remote actor)."""
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
    values = {"target": form.get("target", "").strip()[:2048], "reason": form.get("reason", "")}
    if not await block_as(request, PLACE, values["target"], values["reason"]):
        return await queue_page(request, block_values=values, block_errors={"target": NO_ACTOR})
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
    # A link naming what this node does not hold: the form, its field marked, as a 404.
    return await report_form(request, {"target": target}, failed_status=404)


async def report_form(
    request: web.Request,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    block_errors: dict[str, str] | None = None,
    failed_status: int = 422,
) -> web.Response:
    """The report and block forms, with what was written and, beside a field, what is wrong."""
    services = request.app[SERVICES]
    async with services.pool.acquire() as connection:
        try:
            found = await reports.reported(connection, services.node, values.get("target", ""))
        except reports.ReportError:
            found = None
    actor = None if found is None or services.urls.is_local(found.actor) else found.actor
    errors = dict(errors or {})
    if found is None and values.get("target") and "target" not in errors:
        errors["target"] = NOTHING_KNOWN
    shown = {
        "known": found is not None,
        "actor": actor,
        "values": values,
        "errors": errors,
        "block_values": {"target": values.get("block", actor or "")},
        "block_errors": block_errors or {},
    }
    status = failed_status if errors or block_errors else 200
    return render(request, "report.html", shown, status=status)


async def report(request: web.Request) -> web.StreamResponse:
    account = account_for_action(request, *REPORT)
    form = await posted_form(request)
    services = request.app[SERVICES]
    values = {
        "target": form.get("target", "").strip()[:2048],
        "comment": form.get("comment", "")[:5000],
        "forward": "yes" if form.get("forward") == "yes" else "",
    }
    try:
        await reports.file_report(
            services.pool,
            services.node,
            reporter=account.username,
            target=values["target"],
            comment=values["comment"],
            forward=values["forward"] == "yes",
        )
    except reports.ReportError:
        return await report_form(request, values, {"target": NOTHING_KNOWN})
    raise redirect(request, "/manage", "report-filed")


async def block_as_member(request: web.Request) -> web.StreamResponse:
    account = account_for_action(request, *MY_BLOCK)
    form = await posted_form(request)
    async with request.app[SERVICES].pool.acquire() as connection:
        has_actor = await local_actors.find_local_actor(connection, account.username) is not None
    target = form.get("target", "").strip()[:2048]
    values = {"target": form.get("report", "").strip()[:2048], "block": target}
    if not has_actor:
        return await report_form(request, values, block_errors={"target": NO_OWN_ACTOR})
    if not await block_as(request, account.username, target, ""):
        return await report_form(request, values, block_errors={"target": NO_ACTOR})
    raise redirect(request, "/manage", "blocked")
