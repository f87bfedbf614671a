"""The domains page: an administrator suspends, limits, removes and imports Mastodon's CSV with
plain forms (CSRF-checked, no script), in French or English; the log page lists every action;
other roles are refused the page and its forms."""

from __future__ import annotations

import html
import io

import aiohttp

from schemas.untrusted import MAX_REQUEST_BYTES
from tests.network import LoopbackNetwork
from tests.test_api_neighbours import call, log_in
from tests.test_domain_blocks_csv import FIXTURE, just_over_the_limit
from tests.web_client import WebClient

PAGE = "/manage/moderation/domains"


async def test_an_administrator_decides_about_domains_from_the_page(
    network: LoopbackNetwork,
) -> None:
    node = await network.add("mende")
    await network.start_all()
    token = await log_in(node)
    status, _ = await call(node, "POST", "/api/v1/accounts", token=token, body={
        "username": "lea", "email": "lea@example.org", "role": "animateur",
        "password": "lea-password-1",
    })  # fmt: skip
    assert status == 201
    async with WebClient(node) as admin, WebClient(node) as lea:
        await admin.sign_in()
        status, page = await admin.get("/manage")
        assert PAGE in page
        status, page = await admin.get(PAGE)
        assert status == 200
        assert "Aucune décision pour l&#39;instant" in page

        status, _, page = await admin.post(PAGE, {"domain": "not a domain", "severity": "suspend"})
        assert status == 422
        assert 'id="e-domain"' in page
        assert await node.fetchval("SELECT count(*) FROM domain_policies") == 0
        status, _, _ = await admin.post(PAGE, {"domain": "spam.example", "severity": "suspend"},
                                        csrf="forged")  # fmt: skip
        assert status == 403
        assert await node.fetchval("SELECT count(*) FROM domain_policies") == 0

        status, location, _ = await admin.post(PAGE, {
            "domain": "Spam.Example", "severity": "suspend", "public_reason": "Pourriels",
            "private_reason": "signalé par Léa",
        })  # fmt: skip
        assert (status, location) == (303, PAGE)
        status, page = await admin.get(PAGE)
        assert "spam.example" in page
        assert "suspendu" in page
        assert "signalé par Léa" in page
        _, page = await admin.get(PAGE + "?lang=en")
        assert "suspended" in page
        assert "Remove the decision on spam.example" in page

        status, location, _ = await admin.post(PAGE + "/remove", {"domain": "spam.example"})
        assert (status, location) == (303, PAGE)
        assert await node.fetchval("SELECT count(*) FROM domain_policies") == 0

        await admin.get(PAGE)
        assert admin.session is not None
        form = aiohttp.FormData()
        form.add_field("csrf", admin.csrf())
        form.add_field("file", FIXTURE.read_bytes(), filename="domain_blocks.csv",
                       content_type="text/csv")  # fmt: skip
        async with admin.session.post(admin.url(PAGE + "/import"), data=form) as response:
            assert response.status == 200
            page = await response.text()
        assert "3 domains applied." in page  # the language chosen above
        assert "media.example" in page  # the noop row, skipped with its reason
        assert "Mastodon&#39;s severity for no block" in page
        async with admin.session.get(admin.url(PAGE + "/export")) as response:
            assert response.status == 200
            exported = await response.text()
        assert exported.splitlines()[0].startswith("#domain,#severity")
        assert "noisy.example,silence" in exported

        status, page = await admin.get("/manage/moderation/log")
        assert status == 200
        assert page.count("domain.suspend") == 3  # spam, then two of the file
        assert "domain.remove" in page
        assert "Pourriels" in page

        await lea.sign_in("lea", "lea-password-1")
        status, _ = await lea.get(PAGE)
        assert status == 403
        status, _ = await lea.get("/manage/moderation/log")
        assert status == 403
        await lea.get("/manage")
        status, _, _ = await lea.post(PAGE, {"domain": "other.example", "severity": "suspend"})
        assert status == 403
        assert await node.fetchval(
            "SELECT count(*) FROM domain_policies WHERE domain = 'other.example'"
        ) == 0  # fmt: skip


async def test_a_refused_file_is_explained_in_the_pages_language_with_its_line(
    network: LoopbackNetwork,
) -> None:
    """The parser's refusals by code, translated, the line kept; a file just over the size
    limit is a field error on the page, not a 413; nothing is applied."""
    node = await network.add("mende")
    await network.start_all()
    async with WebClient(node) as admin:
        await admin.sign_in()
        await admin.get(PAGE)

        async def upload(content: bytes) -> tuple[int, str]:
            assert admin.session is not None
            form = aiohttp.FormData()
            form.add_field("csrf", admin.csrf())
            file = io.BytesIO(content)  # aiohttp warns of a large body given as bytes
            form.add_field("file", file, filename="blocks.csv", content_type="text/csv")
            async with admin.session.post(admin.url(PAGE + "/import"), data=form) as response:
                return response.status, await response.text()

        status, page = await upload(b"#domain,#severity\nok.example,suspend\nx.example,annihile\n")
        assert status == 422
        assert "Ligne 3 : sévérité inconnue" in page
        assert "annihile" not in page  # nor the English message, which quotes it
        status, page = await upload(just_over_the_limit().encode())
        assert status == 422
        assert "Le fichier dépasse 512 Kio" in page
        assert "512 Kio au plus." in page  # said before it is tried, too
        # Over the request cap itself: aiohttp refuses it as the form is read; the page says so.
        status, page = await upload(b"a.example,suspend\n" * (MAX_REQUEST_BYTES // 16))
        assert status == 413
        assert "Ce que vous avez envoyé dépasse ce que ce nœud accepte (1024 Kio au plus)" in (
            html.unescape(page)
        )
        status, page = await upload(b"\xff\xfe")
        assert (status, "Le fichier doit être du texte en UTF-8." in page) == (422, True)
        assert await node.fetchval("SELECT count(*) FROM domain_policies") == 0

        await admin.get(PAGE + "?lang=en")
        status, page = await upload(b"#severity\nsuspend\n")
        assert status == 422
        assert "Line 1: no #domain column" in page
        status, page = await upload(
            b"#domain,#severity\nnot a domain,suspend\nmedia.example,noop\n"
        )
        assert status == 200
        assert "Line 2 (not a domain): not a domain name, or this node&#39;s own." in page
        assert "Line 3 (media.example): Mastodon&#39;s severity for no block" in page
