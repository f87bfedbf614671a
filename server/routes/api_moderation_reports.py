"""REST API: actor blocks (the place's and a member's own) and the reports queue."""

from __future__ import annotations

from dataclasses import asdict

from aiohttp import web

from schemas.api_reports import (
    BlockIn,
    BlockOut,
    BlockResult,
    ReportIn,
    ReportOut,
    ReportsQuery,
    ResolveIn,
)
from server.appkeys import SERVICES
from server.processing import blocks, reports
from server.processing.neighbours import NeighbourError, resolve_actor_uri
from server.processing.report_names import ReportNames, names_of
from server.routes.api_directory import read_query
from server.routes.api_registry import API, current_account
from server.routes.api_support import ApiFailure, read_body, reply, role_allows
from server.storage import blocks as stored_blocks
from server.storage import local_actors
from server.storage import reports as stored_reports
from server.storage.accounts import Account
from server.storage.local_actors import PLACE
from server.storage.reports import Report

# An animateur keeps a bad actor out in one action (issue 11): moderation is theirs too.
MODERATORS = ("administrator", "animateur")


def may_change_domains(account: Account) -> bool:
    """The role that sets a domain policy directly (the domain part's route) may also limit or
    suspend a domain by resolving a report."""
    return role_allows(account, API.roles_for("PUT", "/api/v1/moderation/domains/{domain}") or ())


def report_out(report: Report, names: ReportNames) -> ReportOut:
    fields = asdict(report)
    fields.pop("flag_id")
    target = names.actor(report.target_actor)
    return ReportOut(
        **fields,
        target_name=target.name,
        target_handle=target.handle,
        object_titles={ref: names.titles[ref] for ref in report.objects if ref in names.titles},
    )


async def named(request: web.Request, shown: list[Report]) -> list[ReportOut]:
    services = request.app[SERVICES]
    async with services.pool.acquire() as connection:
        names = await names_of(connection, services.node, shown)
    return [report_out(report, names) for report in shown]


async def list_blocks_of(request: web.Request, blocker: str) -> web.Response:
    async with request.app[SERVICES].pool.acquire() as connection:
        found = await stored_blocks.list_blocks(connection, blocker)
    return reply(
        [
            BlockOut(blocker=b.blocker, actor=b.actor_uri, reason=b.reason, created_at=b.created_at)
            for b in found
        ]
    )


async def block_as(request: web.Request, blocker: str, *, lift: bool) -> web.Response:
    body = await read_body(request, BlockIn)
    services = request.app[SERVICES]
    who = current_account(request).username
    try:
        if lift:
            uri = await resolve_actor_uri(
                services.fetcher, body.target, services.settings.development
            )
            changed = await blocks.unblock(
                services.pool, services.node, blocker=blocker, actor_uri=uri, who=who
            )
        else:
            uri = await blocks.resolve_target(
                services.node,
                services.actors,
                services.fetcher,
                body.target,
                services.settings.development,
            )
            changed = await blocks.block(
                services.pool,
                services.node,
                blocker=blocker,
                actor_uri=uri,
                who=who,
                reason=body.reason,
            )
    except (blocks.BlockError, NeighbourError) as error:
        raise ApiFailure(422, str(error), {"target": str(error)}) from None
    state = ("unblocked" if lift else "blocked") if changed else "unchanged"
    return reply(BlockResult(actor=uri, state=state))


@API.route(
    "GET",
    "/api/v1/moderation/blocks",
    summary="The actors the place blocks",
    response=BlockOut,
    response_is_list=True,
    roles=MODERATORS,
)
async def get_place_blocks(request: web.Request) -> web.Response:
    return await list_blocks_of(request, PLACE)


@API.route(
    "POST",
    "/api/v1/moderation/blocks",
    summary="The place blocks an actor: follows both ways end, what it sent leaves, a Block "
    "goes to it; its Follows and Joins are refused from then on",
    body=BlockIn,
    response=BlockResult,
    roles=MODERATORS,
)
async def post_place_block(request: web.Request) -> web.Response:
    return await block_as(request, PLACE, lift=False)


@API.route(
    "DELETE",
    "/api/v1/moderation/blocks",
    summary="The place unblocks an actor (an Undo of the Block goes to it)",
    body=BlockIn,
    response=BlockResult,
    roles=MODERATORS,
)
async def delete_place_block(request: web.Request) -> web.Response:
    return await block_as(request, PLACE, lift=True)


@API.route(
    "GET",
    "/api/v1/me/blocks",
    summary="The actors one blocks as oneself",
    response=BlockOut,
    response_is_list=True,
)
async def get_my_blocks(request: web.Request) -> web.Response:
    return await list_blocks_of(request, current_account(request).username)


async def own_actor(request: web.Request) -> str:
    name = current_account(request).username
    async with request.app[SERVICES].pool.acquire() as connection:
        if await local_actors.find_local_actor(connection, name) is None:
            raise ApiFailure(422, f"{name} has no actor of their own", {"target": "no actor"})
    return name


@API.route(
    "POST",
    "/api/v1/me/blocks",
    summary="Block an actor as oneself: one's follows with it end both ways; a Block goes to "
    "it when one's profile is shared with the network",
    body=BlockIn,
    response=BlockResult,
)
async def post_my_block(request: web.Request) -> web.Response:
    return await block_as(request, await own_actor(request), lift=False)


@API.route(
    "DELETE",
    "/api/v1/me/blocks",
    summary="Unblock an actor one blocked as oneself",
    body=BlockIn,
    response=BlockResult,
)
async def delete_my_block(request: web.Request) -> web.Response:
    return await block_as(request, await own_actor(request), lift=True)


@API.route(
    "POST",
    "/api/v1/reports",
    summary="Report an actor, event, call or profile to the place's moderators; `forward` "
    "sends it on to the reported actor's server too, without the reporter's name",
    body=ReportIn,
    response=ReportOut,
    status=201,
)
async def post_report(request: web.Request) -> web.Response:
    body = await read_body(request, ReportIn)
    services = request.app[SERVICES]
    try:
        report = await reports.file_report(
            services.pool,
            services.node,
            reporter=current_account(request).username,
            target=body.target,
            comment=body.comment,
            forward=body.forward,
        )
    except reports.ReportError as error:
        raise ApiFailure(422, str(error), {"target": str(error)}) from None
    [out] = await named(request, [report])
    return reply(out, status=201)


@API.route(
    "GET",
    "/api/v1/moderation/reports",
    summary="The reports queue, newest first; a page at a time (`before`: the last id of the "
    "previous page)",
    query=ReportsQuery,
    response=ReportOut,
    response_is_list=True,
    roles=MODERATORS,
)
async def get_reports(request: web.Request) -> web.Response:
    query = read_query(request, ReportsQuery)
    async with request.app[SERVICES].pool.acquire() as connection:
        found = await stored_reports.list_reports(
            connection,
            state=None if query.state == "all" else query.state,
            limit=query.limit,
            before=query.before,
        )
    return reply([out for out in await named(request, found)])


def report_id(request: web.Request) -> int:
    text = request.match_info["id"]
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise ApiFailure(404, f"no report {text[:40]}")
    return int(text)


@API.route(
    "GET",
    "/api/v1/moderation/reports/{id}",
    summary="One report",
    response=ReportOut,
    roles=MODERATORS,
)
async def get_report(request: web.Request) -> web.Response:
    number = report_id(request)
    async with request.app[SERVICES].pool.acquire() as connection:
        report = await stored_reports.find_report(connection, number)
    if report is None:
        raise ApiFailure(404, f"no report {number}")
    [out] = await named(request, [report])
    return reply(out)


@API.route(
    "POST",
    "/api/v1/moderation/reports/{id}/resolve",
    summary="Resolve a report: no_action, limit or suspend the reported domain, or "
    "remove_content; written to the moderation log",
    body=ResolveIn,
    response=ReportOut,
    roles=MODERATORS,
)
async def resolve_report(request: web.Request) -> web.Response:
    number = report_id(request)
    body = await read_body(request, ResolveIn)
    services = request.app[SERVICES]
    try:
        report = await reports.resolve(
            services.pool,
            report_id=number,
            resolution=body.resolution,
            reason=body.reason,
            who=current_account(request).username,
            local_hosts=frozenset({services.urls.host}),
            urls=services.urls,
            may_change_domains=may_change_domains(current_account(request)),
        )
    except LookupError:
        raise ApiFailure(404, f"no report {number}") from None
    except reports.NotAllowed as error:
        raise ApiFailure(403, str(error)) from None
    except reports.ReportError as error:
        raise ApiFailure(422, str(error), {"resolution": str(error)}) from None
    [out] = await named(request, [report])
    return reply(out)
