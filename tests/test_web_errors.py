"""Processing's refusals reach people in their language: every code processing raises has its
message in the catalogues, and a page shows it translated (the API keeps English and the code)."""

from __future__ import annotations

import ast
import html
from pathlib import Path

from server.web.errors import CSV_ERRORS, ERRORS
from server.web.i18n import TRANSLATIONS
from tests.network import LoopbackNetwork
from tests.test_api_neighbours import call, log_in
from tests.test_events_network import publish_event
from tests.web_client import WebClient

PROCESSING = Path(__file__).resolve().parent.parent / "server" / "processing"
# Where each refusal's code is among its arguments.
CODE_ARGUMENT = {"RsvpError": 0, "NeighbourError": 0, "AccountError": 1, "CallError": 1,
                 "ProfileError": 1, "TrustListError": 0, "CsvError": 0}  # fmt: skip
DOMAIN_BLOCKS = PROCESSING.parent.parent / "schemas" / "domain_blocks.py"


def raised_codes(paths: list[Path]) -> set[str]:
    codes = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                where = CODE_ARGUMENT.get(node.func.id)
                if where is not None and len(node.args) > where:
                    code = node.args[where]
                    assert isinstance(code, ast.Constant), (path, node.lineno)
                    codes.add(code.value)
    return codes


def test_every_refusal_of_processing_has_its_message_in_french_and_english() -> None:
    codes = raised_codes(list(PROCESSING.rglob("*.py")))
    assert {"event-full", "not-pending", "no-answer", "name-taken"} <= codes
    assert codes <= set(ERRORS), codes - set(ERRORS)
    for code in codes:
        french = TRANSLATIONS["fr"].gettext(ERRORS[code])
        assert french != ERRORS[code], (code, "untranslated")


def test_every_refusal_of_the_domain_block_csv_has_its_message_in_french_and_english() -> None:
    codes = raised_codes([DOMAIN_BLOCKS]) | {"csv-not-utf8"}  # the page's own, on decoding
    assert {"csv-too-large", "csv-unknown-severity"} <= codes
    assert codes == set(CSV_ERRORS), codes ^ set(CSV_ERRORS)
    for code in codes:
        french = TRANSLATIONS["fr"].gettext(CSV_ERRORS[code])
        assert french != CSV_ERRORS[code], (code, "untranslated")


async def test_a_member_refused_by_a_full_event_reads_why_in_french_then_english(
    network: LoopbackNetwork,
) -> None:
    mende = await network.add("mende")
    await network.start_all()
    token = await log_in(mende)
    event = await publish_event(mende, token, maximum_attendee_capacity=1)
    status, _ = await call(
        mende, "POST", "/api/v1/events/rsvp", token=token, body={"event": event["ap_id"]}
    )
    assert status == 202
    status, _ = await call(
        mende, "POST", "/api/v1/accounts", token=token,
        body={"username": "lea", "email": "lea@example.org", "password": "y" * 12},
    )  # fmt: skip
    assert status == 201
    page = event["ap_id"].removeprefix(mende.base)
    async with WebClient(mende) as lea:
        await lea.sign_in("lea", "y" * 12)
        await lea.get(page)
        status, location, _ = await lea.post(f"{page}/join", {})
        assert (status, location) == (303, page)
        status, shown = await lea.get(page)
        assert "L'événement est complet." in html.unescape(shown)
        assert "the event is full" not in shown
        await lea.get(f"{page}?lang=en")
        await lea.post(f"{page}/join", {})
        status, shown = await lea.get(page)
        assert "The event is full." in shown
    assert (
        await mende.fetchval("SELECT count(*) FROM event_participants WHERE state = 'accepted'")
        == 1
    )
    # The API says it in English, with the code.
    lea_token = await log_in(mende, "lea", "y" * 12)
    status, body = await call(
        mende, "POST", "/api/v1/events/rsvp", token=lea_token, body={"event": event["ap_id"]}
    )
    assert (status, body["state"]) == (202, "rejected")
