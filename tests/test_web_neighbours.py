"""The neighbours page: follow a place by its handle, see the relation both ways, unfollow; an
unknown handle is an error beside the field."""

from __future__ import annotations

from tests.network import LoopbackNetwork
from tests.support import wait_until
from tests.test_federation_network import accepted, follow_state
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
