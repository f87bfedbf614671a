"""The neighbours page: follow a place by its handle, see the relation both ways, unfollow; an
unknown handle is an error beside the field."""

from __future__ import annotations

from dataclasses import replace

import pytest

from server.routes.api_registry import API
from server.web.neighbours import ACCEPT
from tests.network import LoopbackNetwork
from tests.support import wait_until
from tests.test_api_neighbours import call, log_in
from tests.test_federation_network import accepted, follow, follow_state
from tests.web_client import WebClient


async def test_follow_then_unfollow_a_neighbour_from_the_page(network: LoopbackNetwork) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    async with WebClient(mende) as admin, WebClient(florac) as florac_admin:
        await admin.sign_in()
        status, page = await admin.get("/manage/neighbours")
        assert status == 200
        status, _, page = await admin.post(
            "/manage/neighbours/follow", {"target": "nobody@unknown.invalid"}
        )
        assert status == 422
        assert 'id="e-target"' in page
        assert 'value="nobody@unknown.invalid"' in page

        status, location, _ = await admin.post(
            "/manage/neighbours/follow", {"target": florac.handle}
        )
        assert (status, location) == (303, "/manage/neighbours")
        await wait_until(lambda: accepted(mende, mende.place, florac.place), what="the Accept")
        _, page = await admin.get("/manage/neighbours")
        assert f"place@{florac.settings.domain}" in page
        assert "Nous le suivons\u00a0: accepté" in page

        await florac_admin.sign_in()
        _, page = await florac_admin.get("/manage/neighbours?lang=en")
        assert "They follow us: accepted" in page

        await admin.get("/manage/neighbours")
        status, _, _ = await admin.post("/manage/neighbours/unfollow", {"target": florac.place})
        assert status == 303

        async def gone_on_florac() -> bool:
            return await follow_state(florac, mende.place, florac.place) is None

        await wait_until(gone_on_florac, what="the Undo")
        _, page = await admin.get("/manage/neighbours")
        assert "Ne plus suivre" not in page


async def test_the_answer_buttons_follow_the_answer_routes_roles(
    network: LoopbackNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pages show Accept and Refuse by the roles of the routes that accept and refuse, not
    by those of the list of neighbours. Today the same roles do all three; so that they differ,
    accepting is made the administrators' alone before the node starts, for the REST API and
    the pages at once (they read one table)."""
    only_admins = [
        replace(api_route, roles=("administrator",))
        if (api_route.method, api_route.path) == ACCEPT
        else api_route
        for api_route in API.routes
    ]
    monkeypatch.setattr(API, "routes", only_admins)
    mende = await network.add("mende", manually_approves=True)
    florac = await network.add("florac")
    await network.start_all()
    token = await log_in(mende)
    status, body = await call(mende, "POST", "/api/v1/accounts", token=token, body={
        "username": "lea", "email": "lea@example.org", "role": "animateur",
        "password": "lea-password-1",
    })  # fmt: skip
    assert status == 201, body
    await follow(florac, mende)

    async def asks() -> bool:
        return await follow_state(mende, florac.place, mende.place) == "pending"

    await wait_until(asks, what="florac's follow waiting on mende")
    accept_form = 'action="/manage/neighbours/accept"'
    refuse_form = 'action="/manage/neighbours/refuse"'
    async with WebClient(mende) as admin, WebClient(mende) as lea:
        await admin.sign_in()
        await lea.sign_in("lea", "lea-password-1")
        for path in ("/manage", "/manage/neighbours"):
            status, page = await lea.get(path)
            assert status == 200
            assert florac.place in page  # she sees who asks
            assert accept_form not in page, path
            assert refuse_form in page, path
            status, page = await admin.get(path)
            assert (accept_form in page, refuse_form in page) == (True, True), path
        # The form she does not see is refused to her as the API refuses it.
        status, _, _ = await lea.post("/manage/neighbours/accept", {"target": florac.place})
        assert status == 403
        lea_token = await log_in(mende, "lea", "lea-password-1")
        status, _ = await call(mende, "POST", "/api/v1/neighbours/followers/accept",
                               token=lea_token, body={"target": florac.place})  # fmt: skip
        assert status == 403
        assert await follow_state(mende, florac.place, mende.place) == "pending"
