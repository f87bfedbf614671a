"""REST API of moderation: the place's domain policies (one by one or as Mastodon's CSV) and
the moderation log. Administrators only; the pages under /manage/moderation require the same
roles (API.roles_for)."""

from __future__ import annotations

from dataclasses import replace

from aiohttp import web

from schemas.api_moderation import (
    DomainBlocksCsv,
    DomainImportOut,
    DomainPolicyIn,
    DomainPolicyOut,
    ModerationLogEntryOut,
    ModerationLogQuery,
)
from schemas.domain_blocks import CsvError
from schemas.untrusted import MAX_REQUEST_BYTES
from server.appkeys import SERVICES
from server.processing.domain_blocks import DomainAdmin
from server.processing.domain_policy import InvalidPolicy
from server.routes.api_directory import read_query
from server.routes.api_registry import API, current_account
from server.routes.api_support import API_LIMITS, ApiFailure, read_body, reply
from server.storage import domain_policies, moderation_log
from server.storage.domain_policies import DomainPolicy, effective

ADMINS = ("administrator",)
DOMAINS = "/api/v1/moderation/domains"
# The CSV's string may be as long as a body: its size is the parser's to refuse, with its code.
CSV_LIMITS = replace(API_LIMITS, max_string_length=MAX_REQUEST_BYTES)


async def read_csv(request: web.Request) -> str:
    """The CSV of an import body (DomainBlocksCsv), however long: the parser bounds it."""
    return (await read_body(request, DomainBlocksCsv, CSV_LIMITS)).csv


def csv_failure(error: CsvError) -> ApiFailure:
    """A file that does not parse: 422 with its stable code; the message names the line."""
    return ApiFailure(422, str(error), {"csv": str(error)}, code=error.code)


def admin_of(request: web.Request) -> DomainAdmin:
    services = request.app[SERVICES]
    return DomainAdmin(services.pool, services.urls, services.domain_policies)


def policy_out(row: DomainPolicy, rows: list[DomainPolicy]) -> DomainPolicyOut:
    return DomainPolicyOut(
        domain=row.domain,
        source=row.source,
        severity=row.severity,
        effective=effective(r for r in rows if r.domain == row.domain),
        public_reason=row.public_reason,
        private_reason=row.private_reason,
        created_at=row.created_at,
    )


@API.route(
    "GET",
    DOMAINS,
    summary="Every domain policy, the place's own and the trust lists'",
    response=DomainPolicyOut,
    response_is_list=True,
    roles=ADMINS,
)
async def list_domain_policies(request: web.Request) -> web.Response:
    async with request.app[SERVICES].pool.acquire() as connection:
        rows = await domain_policies.policies(connection)
    return reply([policy_out(row, rows) for row in rows])


@API.route(
    "PUT",
    DOMAINS + "/{domain}",
    summary="Suspend, limit or allow a domain and its subdomains (the place's own decision)",
    body=DomainPolicyIn,
    response=DomainPolicyOut,
    roles=ADMINS,
)
async def put_domain_policy(request: web.Request) -> web.Response:
    body = await read_body(request, DomainPolicyIn)
    try:
        row = await admin_of(request).set(
            request.match_info["domain"],
            body.severity,
            who=current_account(request).username,
            public_reason=body.public_reason,
            private_reason=body.private_reason,
        )
    except InvalidPolicy as error:
        raise ApiFailure(422, str(error), {"domain": str(error)}) from None
    return reply(policy_out(row, [row]))


@API.route(
    "DELETE",
    DOMAINS + "/{domain}",
    summary="Remove the place's own policy for a domain (what a suspension purged stays gone)",
    status=204,
    roles=ADMINS,
)
async def delete_domain_policy(request: web.Request) -> web.Response:
    try:
        removed = await admin_of(request).remove(
            request.match_info["domain"], who=current_account(request).username
        )
    except InvalidPolicy as error:
        raise ApiFailure(422, str(error), {"domain": str(error)}) from None
    if not removed:
        raise ApiFailure(404, "the place has no policy for this domain")
    return web.Response(status=204)


@API.route(
    "POST",
    DOMAINS + "/import",
    summary="Apply Mastodon's domain-block CSV (silence = limit; noop rows are skipped)",
    body=DomainBlocksCsv,
    response=DomainImportOut,
    roles=ADMINS,
)
async def import_domain_blocks(request: web.Request) -> web.Response:
    text = await read_csv(request)
    try:
        result = await admin_of(request).import_csv(text, who=current_account(request).username)
    except CsvError as error:
        raise csv_failure(error) from None
    return reply(DomainImportOut(applied=result.applied, skipped=result.skipped))


@API.route(
    "GET",
    DOMAINS + "/export",
    summary="The place's own suspensions and limits as Mastodon's domain-block CSV (text/csv)",
    roles=ADMINS,
)
async def export_domain_blocks(request: web.Request) -> web.Response:
    text = await admin_of(request).export_csv()
    return web.Response(
        text=text,
        content_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="domain_blocks.csv"'},
    )


@API.route(
    "GET",
    "/api/v1/moderation/log",
    summary="The moderation log, newest first (who did what to what, when and why)",
    query=ModerationLogQuery,
    response=ModerationLogEntryOut,
    response_is_list=True,
    roles=ADMINS,
)
async def get_moderation_log(request: web.Request) -> web.Response:
    query = read_query(request, ModerationLogQuery)
    async with request.app[SERVICES].pool.acquire() as connection:
        found = await moderation_log.entries(connection, limit=query.limit, before_id=query.before)
    return reply([ModerationLogEntryOut(**vars(entry)) for entry in found])
