"""Processing's refusals reach people in their language: every code processing raises has its
message in the catalogues, and a page shows it translated (the API keeps English and the code)."""

from __future__ import annotations

import ast
import html
import importlib
import inspect
import pkgutil
from collections.abc import Iterable, Iterator
from pathlib import Path

import server.processing
from schemas.domain_blocks import CsvError
from server.processing.errors import ProcessingError
from server.web.errors import CSV_ERRORS, ERRORS, UNKNOWN
from server.web.flashes import FLASHES
from server.web.i18n import TRANSLATIONS
from tests.network import LoopbackNetwork
from tests.test_api_neighbours import call, log_in
from tests.test_events_network import publish_event
from tests.web_client import WebClient

SERVER = Path(__file__).resolve().parent.parent / "server"


def refusal_classes() -> dict[str, int]:
    """Every kind of refusal (ProcessingError and its subclasses, all of server.processing
    imported), with where its `code` is among the arguments its constructor takes."""
    for module in pkgutil.walk_packages(server.processing.__path__, "server.processing."):
        importlib.import_module(module.name)
    found: dict[str, int] = {}
    kinds: list[type[ProcessingError]] = [ProcessingError]
    while kinds:
        kind = kinds.pop()
        arguments = list(inspect.signature(kind.__init__).parameters)[1:]  # after self
        found[kind.__name__] = arguments.index("code")
        kinds.extend(kind.__subclasses__())
    return found


def calls_in(name: str, paths: Iterable[Path] = ()) -> Iterator[tuple[Path, ast.Call]]:
    """Every call of a function or class named `name` in `paths` (by default the server's
    source)."""
    for path in paths or SERVER.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == name:
                yield path, node


def raised_codes(kinds: dict[str, int], paths: Iterable[Path] = ()) -> set[str]:
    """The codes the calls of `kinds` (a class name, where its code is among the arguments)
    give in `paths`."""
    codes = set()
    for kind, where in kinds.items():
        for path, made in calls_in(kind, paths):
            named = [k.value for k in made.keywords if k.arg == "code"]
            code = made.args[where] if len(made.args) > where else named[0]
            assert isinstance(code, ast.Constant), (path, made.lineno, "a code is a literal")
            codes.add(code.value)
    return codes


def untranslated(messages: Iterable[str]) -> list[str]:
    french = TRANSLATIONS["fr"]
    return [message for message in messages if french.gettext(message) == message]


def test_every_refusal_of_processing_has_its_message_in_french_and_english() -> None:
    assert {"RsvpError", "AccountError", "CallError"} <= set(refusal_classes())
    codes = raised_codes(refusal_classes())
    assert {"event-full", "not-pending", "no-answer", "name-taken", "no-such-member"} <= codes
    assert codes <= set(ERRORS), codes - set(ERRORS)
    assert untranslated([*ERRORS.values(), UNKNOWN]) == []


def flash_keys(node: ast.expr) -> set[str]:
    """The keys a redirection's flash argument names whole: a literal, or either of `a if c
    else b` (a key put together, `f"call-{status}"`, is not seen)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return flash_keys(node.body) | flash_keys(node.orelse)
    return set()


def test_every_flash_a_page_sets_is_declared_and_translated() -> None:
    """A page names its message after a redirection by key: an undeclared key shows nothing."""
    keys = set()
    for _, made in calls_in("redirect"):
        if len(made.args) > 2:
            keys |= flash_keys(made.args[2])
    assert {"event-cancelled", "trust-entry-removed", "participant-accepted"} <= keys
    assert keys <= set(FLASHES) | set(ERRORS), keys - set(FLASHES) - set(ERRORS)
    assert untranslated(FLASHES.values()) == []


def test_every_refusal_of_the_domain_block_csv_has_its_message_in_french_and_english() -> None:
    where = list(inspect.signature(CsvError.__init__).parameters)[1:].index("code")
    source = [SERVER.parent / "schemas" / "domain_blocks.py"]
    codes = raised_codes({"CsvError": where}, source) | {"csv-not-utf8"}  # the page's, on decoding
    assert {"csv-too-large", "csv-unknown-severity"} <= codes
    assert codes == set(CSV_ERRORS), codes ^ set(CSV_ERRORS)
    assert untranslated(CSV_ERRORS.values()) == []


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


async def test_a_field_error_is_said_in_the_page_language(network: LoopbackNetwork) -> None:
    """The form macros are imported with the page's context: without it their `_` is Jinja's
    untranslated default, and every field error read in English on a French page."""
    mende = await network.add("mende")
    await network.start_all()
    for language, wrong, short in (
        ("fr", "Ce n'est pas votre mot de passe actuel.", "Au moins 10 caractères."),
        ("en", "This is not your current password.", "At least 10 characters."),
    ):
        async with WebClient(mende, headers={"Accept-Language": language}) as camille:
            await camille.sign_in()
            await camille.get("/account")
            status, _, body = await camille.post(
                "/account/password", {"current": "y" * 12, "new": "z" * 12}
            )
            assert status == 422
            assert wrong in html.unescape(body)
            status, _, body = await camille.post(
                "/account/password", {"current": "x" * 12, "new": "short"}
            )
            assert status == 422
            assert short in html.unescape(body)
