"""The place profile editor and the public home page: the hours typed in the form decide the
"open now" of the page; a wrong value is named beside its field and nothing is saved."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from tests.network import LoopbackNetwork
from tests.web_client import WebClient

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def form(**changes: str) -> dict[str, str]:
    return {
        "name": "La Fabrique de Mende",
        "description": "Un tiers-lieu au cœur de Mende.\n\nAtelier, coworking.",
        "locality": "Mende",
        "country": "France",
        "latitude": "44.5181",
        "longitude": "3.5012",
        "timezone": "Europe/Paris",
        "service-fibre": "on",
        "kind-fablab": "on",
        "opening_exceptions": "2030-12-25 closed Noël",
        "links": "Site | https://example.org",
        **changes,
    }


async def test_the_hours_of_the_editor_make_the_home_page_open_or_closed(
    network: LoopbackNetwork,
) -> None:
    mende = await network.add("mende")
    await network.start_all()
    today = DAYS[datetime.now(UTC).astimezone(ZoneInfo("Europe/Paris")).weekday()]
    async with WebClient(mende) as admin, WebClient(mende) as visitor:
        await admin.sign_in()
        await admin.get("/manage/place")
        wrong = form(latitude="north", **{f"opens-{today}": "00:00", f"closes-{today}": "23:59"})
        status, _, page = await admin.post("/manage/place", wrong)
        assert status == 422
        assert 'id="e-latitude"' in page
        assert 'value="La Fabrique de Mende"' in page
        _, home = await visitor.get("/")
        assert "La Fabrique de Mende" not in home  # nothing saved

        opened = form(**{f"opens-{today}": "00:00", f"closes-{today}": "23:59"})
        status, location, _ = await admin.post("/manage/place", opened)
        assert (status, location) == (303, "/manage/place")
        _, home = await visitor.get("/")
        assert "<h1>La Fabrique de Mende</h1>" in home
        assert "Ouvert maintenant" in home
        assert "Internet par la fibre" in home  # the service named, not its slug
        assert "openstreetmap.org/?mlat=44.5181&amp;mlon=3.5012" in home
        _, page = await admin.get("/manage/place")
        assert f'name="opens-{today}" aria-label' in page
        assert 'value="00:00"' in page
        assert "2030-12-25 fermé Noël" in page  # written back in the page's words
        _, page = await admin.get("/manage/place?lang=en")
        assert "2030-12-25 closed Noël" in page

        status, _, _ = await admin.post("/manage/place", form())  # no hours today
        assert status == 303
        _, home = await visitor.get("/?lang=en")
        assert "Open now" not in home
        assert "<h1>La Fabrique de Mende</h1>" in home
