"""The moderation pages for domains: the place's policies (set, remove, Mastodon's CSV in and
out) and the moderation log. Plain forms, no script; the roles are the REST API's."""

from __future__ import annotations

from typing import Any, cast

from aiohttp import web
from aiohttp.web_request import FileField

from schemas.domain_blocks import MAX_BYTES, CsvError
from server.appkeys import SERVICES
from server.processing.domain_blocks import DomainAdmin
from server.processing.domain_policy import InvalidPolicy
from server.processing.place_profile import current_profile
from server.storage import domain_policies, moderation_log
from server.storage.domain_policies import SEVERITIES, Severity
from server.web.errors import CSV_ERRORS, UNKNOWN
from server.web.flashes import N_
from server.web.moderation_actions import ACTION_NAMES
from server.web.rendering import render
from server.web.sessions import account_for_action, posted_form, redirect

PAGE = "/manage/moderation/domains"
LIST = ("GET", "/api/v1/moderation/domains")
SET = ("PUT", "/api/v1/moderation/domains/{domain}")
REMOVE = ("DELETE", "/api/v1/moderation/domains/{domain}")
IMPORT = ("POST", "/api/v1/moderation/domains/import")
EXPORT = ("GET", "/api/v1/moderation/domains/export")
LOG = ("GET", "/api/v1/moderation/log")
SEVERITY_NAMES = {
    "suspend": N_("Suspend: nothing in or out, what we hold is deleted"),
    "limit": N_("Limit: kept, but shown only if we follow them"),
    "allow": N_("Allow: federated with in limited federation mode"),
}
SKIPPED = {
    "not-a-domain": N_("Line %(line)s (%(domain)s): not a domain name, or this node's own."),
    "noop": N_("Line %(line)s (%(domain)s): Mastodon's severity for no block, nothing to apply."),
}
SEVERITY_LABELS = {"suspend": N_("suspended"), "limit": N_("limited"), "allow": N_("allowed")}
MAX_REASON = 1000


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get(PAGE, domains_page)
    router.add_post(PAGE, set_domain)
    router.add_post(PAGE + "/remove", remove_domain)
    router.add_post(PAGE + "/import", import_domains)
    router.add_get(PAGE + "/export", export_domains)
    router.add_get("/manage/moderation/log", log_page)


def admin_of(request: web.Request) -> DomainAdmin:
    services = request.app[SERVICES]
    return DomainAdmin(services.pool, services.urls, services.domain_policies)


async def page(
    request: web.Request,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    imported: Any = None,
    file_error: dict[str, int] | None = None,
) -> web.Response:
    async with request.app[SERVICES].pool.acquire() as connection:
        rows = await domain_policies.policies(connection)
    shown = {
        "policies": rows,
        "severity_names": SEVERITY_NAMES,
        "severity_labels": SEVERITY_LABELS,
        "skipped_reasons": SKIPPED,
        "values": values or {"severity": "suspend"},
        "errors": errors or {},
        "file_error": file_error or {},
        "max_kib": MAX_BYTES // 1024,
        "imported": imported,
        "limited_federation": request.app[SERVICES].settings.limited_federation,
    }
    return render(request, "moderation_domains.html", shown, status=status)


async def domains_page(request: web.Request) -> web.Response:
    account_for_action(request, *LIST)
    return await page(request)


async def set_domain(request: web.Request) -> web.Response:
    account = account_for_action(request, *SET)
    form = await posted_form(request)
    values = {
        name: form.get(name, "").strip()
        for name in ("domain", "severity", "public_reason", "private_reason")
    }
    errors: dict[str, str] = {}
    if values["severity"] not in SEVERITIES:
        errors["severity"] = N_("Choose what to do with this domain.")
    for name in ("public_reason", "private_reason"):
        if len(values[name]) > MAX_REASON:
            errors[name] = N_("1000 characters at most.")
    if not errors:
        severity = cast(Severity, values["severity"])  # one of SEVERITIES, checked above
        try:
            await admin_of(request).set(
                values["domain"],
                severity,
                who=account.username,
                public_reason=values["public_reason"],
                private_reason=values["private_reason"],
            )
        except InvalidPolicy:
            errors["domain"] = N_("A domain name, like example.org (not this node's own).")
    if errors:
        return await page(request, values, errors, status=422)
    raise redirect(request, PAGE, "domain-policy-set")


async def remove_domain(request: web.Request) -> web.Response:
    account = account_for_action(request, *REMOVE)
    form = await posted_form(request)
    try:
        await admin_of(request).remove(form.get("domain", ""), who=account.username)
    except InvalidPolicy:
        return await page(request, errors={"domain": N_("A domain name, like example.org.")},
                          status=422)  # fmt: skip
    raise redirect(request, PAGE, "domain-policy-removed")


async def import_domains(request: web.Request) -> web.Response:
    account = account_for_action(request, *IMPORT)
    form = await request.post()
    upload = form.get("file")
    # A file input posts a FileField; the CSRF token is checked like any form's.
    await posted_form(request)
    text = ""
    try:
        if isinstance(upload, FileField):
            text = upload.file.read().decode("utf-8")
        result = await admin_of(request).import_csv(text, who=account.username)
    except UnicodeDecodeError:
        return await refused_file(request, CsvError("csv-not-utf8", "the file is not UTF-8"))
    except CsvError as error:
        return await refused_file(request, error)
    return await page(request, imported=result)


async def refused_file(request: web.Request, error: CsvError) -> web.Response:
    """The form again, the file's refusal in the page's language with its line."""
    message = CSV_ERRORS.get(error.code, UNKNOWN)
    where = {"line": error.line, "size": MAX_BYTES // 1024}  # `size`: csv-too-large's
    return await page(request, errors={"file": message}, file_error=where, status=422)


async def export_domains(request: web.Request) -> web.Response:
    account_for_action(request, *EXPORT)
    return web.Response(
        text=await admin_of(request).export_csv(),
        content_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="domain_blocks.csv"'},
    )


async def log_page(request: web.Request) -> web.Response:
    account_for_action(request, *LOG)
    before = request.query.get("before", "")
    before_id = int(before) if before.isdigit() and len(before) < 19 else None
    async with request.app[SERVICES].pool.acquire() as connection:
        entries = await moderation_log.entries(connection, limit=100, before_id=before_id)
        zone = (await current_profile(connection)).timezone
    older = entries[-1].id if len(entries) == 100 else None
    shown = {"entries": entries, "older": older, "zone": zone, "action_names": ACTION_NAMES}
    return render(request, "moderation_log.html", shown)
