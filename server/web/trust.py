"""Trust lists in the web interface: the lists the place follows, their proposals, and the list it
publishes. Forms without JavaScript; the API's processing and roles."""

from __future__ import annotations

from aiohttp import web
from pydantic import ValidationError

from schemas.trust_lists import PublishedEntryIn, SubscriptionIn, TrustListEntry
from server.appkeys import SERVICES
from server.processing import trust_publishing, trust_subscriptions
from server.routes.api_trust import BASE, published_list, subscription_list
from server.storage import trust_subscriptions as subscriptions_storage
from server.web.errors import ERRORS, UNKNOWN, message_of
from server.web.forms import N_
from server.web.rendering import render
from server.web.sessions import account_for_action, posted_form, redirect

PAGE = "/manage/moderation/trust"
LIST = ("GET", BASE)
SUBSCRIBE = ("POST", BASE)
UNSUBSCRIBE = ("DELETE", BASE)
ACCEPT = ("POST", f"{BASE}/proposals/{{id}}/accept")
REFUSE = ("POST", f"{BASE}/proposals/{{id}}/refuse")
PUBLISH = ("POST", f"{BASE}/published")
ADD_ENTRY = ("POST", f"{BASE}/published/entries")
REMOVE_ENTRY = ("DELETE", f"{BASE}/published/entries")

POLICIES = {
    "member": N_("member of the network"),
    "suspend": N_("suspended"),
    "limit": N_("limited"),
}
SEVERITIES = {"allow": N_("allowed"), "suspend": N_("suspended"), "limit": N_("limited")}
MODES = {"auto": N_("apply automatically"), "review": N_("propose changes for review")}


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get(PAGE, trust_page)
    router.add_post(f"{PAGE}/subscribe", subscribe)
    router.add_post(f"{PAGE}/unsubscribe", unsubscribe)
    router.add_post(f"{PAGE}/proposals/{{id:\\d{{1,18}}}}/accept", accept)
    router.add_post(f"{PAGE}/proposals/{{id:\\d{{1,18}}}}/refuse", refuse)
    router.add_post(f"{PAGE}/publish", publish)
    router.add_post(f"{PAGE}/entries", add_entry)
    router.add_post(f"{PAGE}/entries/remove", remove_entry)


async def page(
    request: web.Request, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> web.Response:
    services = request.app[SERVICES]
    async with services.pool.acquire() as connection:
        proposals = await subscriptions_storage.proposals(connection)
    shown = {
        "subscriptions": await subscription_list(services),
        "proposals": proposals,
        "published": await published_list(services),
        "policies": POLICIES,
        "severities": SEVERITIES,
        "modes": MODES,
        "error_messages": ERRORS,
        "unknown_error": UNKNOWN,
        "values": values,
        "errors": errors,
    }
    return render(request, "trust.html", shown, status=status)


async def trust_page(request: web.Request) -> web.Response:
    account_for_action(request, *LIST)
    return await page(request, {}, {})


async def subscribe(request: web.Request) -> web.StreamResponse:
    account = account_for_action(request, *SUBSCRIBE)
    form = await posted_form(request)
    values = {"url": form.get("url", "").strip(), "mode": form.get("mode", "auto")}
    try:
        body = SubscriptionIn.model_validate(values)
    except ValidationError:
        return await page(request, values, {"url": N_("The address of a trust list.")}, 422)
    services = request.app[SERVICES]
    try:
        await trust_subscriptions.subscribe(
            services.pool,
            services.node,
            body.url,
            body.mode,
            account.username,
            services.settings.trust_lists_refresh_minutes * 60,
        )
    except trust_subscriptions.TrustListError as error:
        return await page(request, values, {"url": message_of(error)}, 422)
    raise redirect(request, PAGE, "trust-subscribed")


async def unsubscribe(request: web.Request) -> web.StreamResponse:
    account = account_for_action(request, *UNSUBSCRIBE)
    form = await posted_form(request)
    services = request.app[SERVICES]
    try:
        await trust_subscriptions.unsubscribe(
            services.pool, services.node, form.get("url", ""), account.username
        )
    except trust_subscriptions.TrustListError:
        raise redirect(request, PAGE) from None  # already gone: the page shows what is
    raise redirect(request, PAGE, "trust-unsubscribed")


async def decide(request: web.Request, accept_it: bool) -> web.StreamResponse:
    account = account_for_action(request, *(ACCEPT if accept_it else REFUSE))
    await posted_form(request)
    found = await trust_subscriptions.decide(
        request.app[SERVICES].pool,
        request.app[SERVICES].node,
        int(request.match_info["id"]),
        accept=accept_it,
        who=account.username,
    )
    flash = None if found is None else "trust-accepted" if accept_it else "trust-refused"
    raise redirect(request, PAGE, flash)


async def accept(request: web.Request) -> web.StreamResponse:
    return await decide(request, True)


async def refuse(request: web.Request) -> web.StreamResponse:
    return await decide(request, False)


async def publish(request: web.Request) -> web.StreamResponse:
    account = account_for_action(request, *PUBLISH)
    form = await posted_form(request)
    services = request.app[SERVICES]
    async with services.pool.acquire() as connection:
        await trust_publishing.configure(
            connection,
            services.node,
            published=form.get("published") == "on",
            name=form.get("name", "").strip()[:200],
            summary=form.get("summary", "").strip()[:1000],
            who=account.username,
        )
    raise redirect(request, PAGE, "trust-published")


async def add_entry(request: web.Request) -> web.StreamResponse:
    account = account_for_action(request, *ADD_ENTRY)
    form = await posted_form(request)
    values = {
        "domain": form.get("domain", "").strip(),
        "policy": form.get("policy", ""),
        "public_reason": form.get("public_reason", "").strip(),
    }
    try:
        body = PublishedEntryIn.model_validate(values)
    except ValidationError:
        return await page(request, values, {"domain": N_("A domain and a policy.")}, 422)
    services = request.app[SERVICES]
    entry = TrustListEntry(domain=body.domain, policy=body.policy, public_reason=body.public_reason)
    async with services.pool.acquire() as connection:
        try:
            await trust_publishing.put_entry(connection, services.node, entry, account.username)
        except trust_publishing.TrustListChangeError:
            message = N_("A domain name like example.org (not this node's own).")
            return await page(request, values, {"domain": message}, 422)
    raise redirect(request, PAGE, "trust-entry-saved")


async def remove_entry(request: web.Request) -> web.StreamResponse:
    account = account_for_action(request, *REMOVE_ENTRY)
    form = await posted_form(request)
    services = request.app[SERVICES]
    async with services.pool.acquire() as connection:
        try:
            removed = await trust_publishing.remove_entry(
                connection, services.node, form.get("domain", ""), account.username
            )
        except trust_publishing.TrustListChangeError:
            removed = False
    raise redirect(request, PAGE, "trust-entry-removed" if removed else None)
