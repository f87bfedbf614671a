"""The place's neighbours: follow by handle or address or from the directory's suggestions,
unfollow, and the state of each relation both ways. The API's processing and roles."""

from __future__ import annotations

from contextlib import suppress

from aiohttp import web

from schemas.api_directory import PlacesQuery
from server.appkeys import SERVICES, URLS
from server.processing.directory import search_places
from server.processing.neighbours import (
    NeighbourError,
    answer_follower_of_place,
    follow_neighbour,
    list_neighbours,
    unfollow_neighbour,
)
from server.storage.accounts import Account
from server.storage.local_actors import PLACE
from server.web.errors import message_of
from server.web.forms import N_
from server.web.rendering import render
from server.web.sessions import account_for_action, may, posted_form, redirect

LIST = ("GET", "/api/v1/neighbours")
FOLLOW = ("POST", "/api/v1/neighbours")
UNFOLLOW = ("DELETE", "/api/v1/neighbours")
ACCEPT = ("POST", "/api/v1/neighbours/followers/accept")
REFUSE = ("POST", "/api/v1/neighbours/followers/refuse")
STATES = {
    "pending": N_("asked, waiting for an answer"),
    "accepted": N_("accepted"),
    "rejected": N_("refused"),
}


def allowed(account: Account) -> dict[str, bool]:
    """Which of the neighbours' forms to show: each where the API route it stands for would
    take this account's role (the dashboard's Accept and Refuse too)."""
    actions = {"follow": FOLLOW, "unfollow": UNFOLLOW, "accept": ACCEPT, "refuse": REFUSE}
    return {name: may(account, *action) for name, action in actions.items()}


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/manage/neighbours", neighbours_page)
    router.add_post("/manage/neighbours/follow", follow)
    router.add_post("/manage/neighbours/unfollow", unfollow)
    router.add_post("/manage/neighbours/accept", accept_follower)
    router.add_post("/manage/neighbours/refuse", refuse_follower)


async def page(
    request: web.Request,
    account: Account,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> web.Response:
    services = request.app[SERVICES]
    found = await list_neighbours(services.pool, services.node)
    async with services.pool.acquire() as connection:
        places = await search_places(
            connection,
            request.app[URLS],
            PlacesQuery.model_validate({"suggestions": True}),
            limited=services.domain_policies.limits_url,
        )
    followed = {neighbour.uri for neighbour in found if neighbour.we_follow}
    suggested = [p for p in places if p.suggested and p.id not in followed]
    shown = {
        "neighbours": found,
        "suggestions": suggested,
        "states": STATES,
        "can": allowed(account),
        "values": values,
        "errors": errors,
    }
    return render(request, "neighbours.html", shown, status=status)


async def neighbours_page(request: web.Request) -> web.Response:
    account = account_for_action(request, *LIST)
    return await page(request, account, {}, {})


async def follow(request: web.Request) -> web.StreamResponse:
    account = account_for_action(request, *FOLLOW)
    form = await posted_form(request)
    target = form.get("target", "").strip()
    services = request.app[SERVICES]
    try:
        await follow_neighbour(
            services.pool,
            services.node,
            services.actors,
            services.fetcher,
            target,
            services.settings.development,
            PLACE,
        )
    except NeighbourError as error:
        errors = {"target": message_of(error)}
        return await page(request, account, {"target": target}, errors, status=422)
    raise redirect(request, "/manage/neighbours", "follow-asked")


async def unfollow(request: web.Request) -> web.StreamResponse:
    account_for_action(request, *UNFOLLOW)
    form = await posted_form(request)
    services = request.app[SERVICES]
    # Already not followed: the page shows the relations as they are.
    with suppress(NeighbourError):
        await unfollow_neighbour(
            services.pool,
            services.node,
            services.fetcher,
            form.get("target", "").strip(),
            services.settings.development,
            PLACE,
        )
    raise redirect(request, "/manage/neighbours", "unfollowed")


async def answer_follower(request: web.Request, accept: bool) -> web.StreamResponse:
    """Accept or refuse a follow that waits, from the neighbours page or the dashboard (`back`
    says which, so the animateur stays where they were)."""
    account_for_action(request, *(ACCEPT if accept else REFUSE))
    form = await posted_form(request)
    back = "/manage" if form.get("back") == "dashboard" else "/manage/neighbours"
    services = request.app[SERVICES]
    try:
        await answer_follower_of_place(
            services.pool, services.node, form.get("target", "").strip(), accept
        )
    except NeighbourError as error:
        raise redirect(request, back, error.code) from None
    raise redirect(request, back, "follower-accepted" if accept else "follower-refused")


async def accept_follower(request: web.Request) -> web.StreamResponse:
    return await answer_follower(request, True)


async def refuse_follower(request: web.Request) -> web.StreamResponse:
    return await answer_follower(request, False)
