"""REST API of trust lists: the list this node publishes, the lists it follows, proposals."""

from __future__ import annotations

from aiohttp import web

from schemas.api_moderation import DomainBlocksCsv, DomainImportOut
from schemas.domain_blocks import CsvError
from schemas.trust_lists import (
    ProposalOut,
    ProposalsQuery,
    PublishedDomainIn,
    PublishedEntryIn,
    PublishedEntryOut,
    PublishedListOut,
    PublishSettingsIn,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionUrlIn,
    TrustListEntry,
    UnsubscribedOut,
)
from server.appkeys import SERVICES
from server.processing import trust_publishing, trust_subscriptions
from server.routes.api_directory import read_query
from server.routes.api_moderation import csv_failure, read_csv
from server.routes.api_registry import API, current_account
from server.routes.api_support import ApiFailure, read_body, reply
from server.services import NodeServices
from server.storage import trust_lists
from server.storage import trust_subscriptions as subscriptions_storage
from server.storage.trust_subscriptions import Proposal

MODERATORS = ("administrator",)
BASE = "/api/v1/moderation/trust-lists"


async def published_list(services: NodeServices) -> PublishedListOut:
    async with services.pool.acquire() as connection:
        state = await trust_lists.state(connection)
        entries = await trust_lists.entries(connection)
        subscribers = await trust_lists.subscribers(connection)
    return PublishedListOut(
        url=services.urls.trust_list,
        published=state.published,
        name=state.name,
        summary=state.summary,
        version=state.version,
        updated=state.updated,
        subscribers=len(subscribers),
        entries=[PublishedEntryOut(**entry.model_dump()) for entry in entries],
    )


async def subscription_list(services: NodeServices) -> list[SubscriptionOut]:
    async with services.pool.acquire() as connection:
        found = await subscriptions_storage.all_subscriptions(connection)
        counts = await subscriptions_storage.counts(connection)
    return [
        SubscriptionOut(
            url=s.url,
            mode=s.mode,
            publisher=s.publisher,
            name=s.name,
            version=s.version,
            list_updated=s.list_updated,
            fetched_at=s.fetched_at,
            last_error=s.last_error,
            last_error_code=s.last_error_code,
            last_error_detail=s.last_error_detail,
            entries=counts.get(s.url, (0, 0))[0],
            pending=counts.get(s.url, (0, 0))[1],
        )
        for s in found
    ]


def proposal_out(proposal: Proposal) -> ProposalOut:
    return ProposalOut.model_validate(vars(proposal))


@API.route(
    "GET",
    f"{BASE}/published",
    summary="The trust list this node publishes: settings, version, entries",
    response=PublishedListOut,
    roles=MODERATORS,
)
async def get_published(request: web.Request) -> web.Response:
    return reply(await published_list(request.app[SERVICES]))


@API.route(
    "POST",
    f"{BASE}/published",
    summary="Publish the trust list (or stop), with its name and summary",
    body=PublishSettingsIn,
    response=PublishedListOut,
    roles=MODERATORS,
)
async def post_published(request: web.Request) -> web.Response:
    body = await read_body(request, PublishSettingsIn)
    services = request.app[SERVICES]
    async with services.pool.acquire() as connection:
        await trust_publishing.configure(
            connection,
            services.node,
            published=body.published,
            name=body.name,
            summary=body.summary,
            who=current_account(request).username,
        )
    return reply(await published_list(services))


@API.route(
    "POST",
    f"{BASE}/published/entries",
    summary="Add or change a domain of the published list (member, suspend or limit)",
    body=PublishedEntryIn,
    response=PublishedListOut,
    roles=MODERATORS,
)
async def post_published_entry(request: web.Request) -> web.Response:
    body = await read_body(request, PublishedEntryIn)
    services = request.app[SERVICES]
    entry = TrustListEntry(domain=body.domain, policy=body.policy, public_reason=body.public_reason)
    async with services.pool.acquire() as connection:
        try:
            await trust_publishing.put_entry(
                connection, services.node, entry, current_account(request).username
            )
        except trust_publishing.TrustListChangeError as error:
            raise ApiFailure(422, str(error), {"domain": str(error)}) from None
    return reply(await published_list(services))


@API.route(
    "POST",
    f"{BASE}/published/import",
    summary="Put the blocks of a Mastodon domain-block CSV in the published list (one version)",
    body=DomainBlocksCsv,
    response=DomainImportOut,
    roles=MODERATORS,
)
async def import_published(request: web.Request) -> web.Response:
    text = await read_csv(request)
    services = request.app[SERVICES]
    async with services.pool.acquire() as connection:
        try:
            added, skipped = await trust_publishing.import_mastodon_csv(
                connection, services.node, text, current_account(request).username
            )
        except CsvError as error:
            raise csv_failure(error) from None
    return reply(DomainImportOut(applied=added, skipped=skipped))


@API.route(
    "DELETE",
    f"{BASE}/published/entries",
    summary="Remove a domain from the published list",
    body=PublishedDomainIn,
    response=PublishedListOut,
    roles=MODERATORS,
)
async def delete_published_entry(request: web.Request) -> web.Response:
    body = await read_body(request, PublishedDomainIn)
    services = request.app[SERVICES]
    async with services.pool.acquire() as connection:
        try:
            removed = await trust_publishing.remove_entry(
                connection, services.node, body.domain, current_account(request).username
            )
        except trust_publishing.TrustListChangeError as error:
            raise ApiFailure(422, str(error), {"domain": str(error)}) from None
    if not removed:
        raise ApiFailure(404, f"{body.domain} is not in the published list")
    return reply(await published_list(services))


@API.route(
    "GET",
    BASE,
    summary="The trust lists this node follows",
    response=SubscriptionOut,
    response_is_list=True,
    roles=MODERATORS,
)
async def get_subscriptions(request: web.Request) -> web.Response:
    return reply(list(await subscription_list(request.app[SERVICES])))


@API.route(
    "POST",
    BASE,
    summary="Follow a trust list: fetched, its proof checked, then applied or proposed",
    body=SubscriptionIn,
    response=SubscriptionOut,
    status=201,
    roles=MODERATORS,
)
async def post_subscription(request: web.Request) -> web.Response:
    body = await read_body(request, SubscriptionIn)
    services = request.app[SERVICES]
    try:
        await trust_subscriptions.subscribe(
            services.pool,
            services.node,
            body.url,
            body.mode,
            current_account(request).username,
            services.settings.trust_lists_refresh_minutes * 60,
        )
    except trust_subscriptions.TrustListError as error:
        raise ApiFailure(422, error.message, {"url": error.message}, code=error.code) from None
    found = [s for s in await subscription_list(services) if s.url == body.url.strip()]
    return reply(found[0], status=201)


@API.route(
    "DELETE",
    BASE,
    summary="Stop following a trust list: what came only from it is lifted",
    body=SubscriptionUrlIn,
    response=UnsubscribedOut,
    roles=MODERATORS,
)
async def delete_subscription(request: web.Request) -> web.Response:
    body = await read_body(request, SubscriptionUrlIn)
    services = request.app[SERVICES]
    try:
        lifted = await trust_subscriptions.unsubscribe(
            services.pool, services.node, body.url, current_account(request).username
        )
    except trust_subscriptions.TrustListError as error:
        raise ApiFailure(404, error.message, code=error.code) from None
    return reply(UnsubscribedOut(url=body.url, lifted=lifted))


@API.route(
    "GET",
    f"{BASE}/proposals",
    summary="Changes proposed by the lists followed in review mode",
    query=ProposalsQuery,
    response=ProposalOut,
    response_is_list=True,
    roles=MODERATORS,
)
async def get_proposals(request: web.Request) -> web.Response:
    query = read_query(request, ProposalsQuery)
    async with request.app[SERVICES].pool.acquire() as connection:
        found = await subscriptions_storage.proposals(connection, state=query.state)
    return reply([proposal_out(p) for p in found])


async def decide(request: web.Request, accept: bool) -> web.Response:
    text = request.match_info["id"]
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise ApiFailure(404, "no such proposal")
    proposal_id = int(text)
    found = await trust_subscriptions.decide(
        request.app[SERVICES].pool,
        request.app[SERVICES].node,
        proposal_id,
        accept=accept,
        who=current_account(request).username,
    )
    if found is None:
        raise ApiFailure(404, "no such pending proposal")
    return reply(proposal_out(found))


@API.route(
    "POST",
    f"{BASE}/proposals/{{id}}/accept",
    summary="Accept a proposed change: applied as coming from its list",
    response=ProposalOut,
    roles=MODERATORS,
)
async def accept_proposal(request: web.Request) -> web.Response:
    return await decide(request, True)


@API.route(
    "POST",
    f"{BASE}/proposals/{{id}}/refuse",
    summary="Refuse a proposed change: it is not proposed again",
    response=ProposalOut,
    roles=MODERATORS,
)
async def refuse_proposal(request: web.Request) -> web.Response:
    return await decide(request, False)
