"""Mastodon's domain-block CSV: the fixture in Mastodon's shape reads, writes back the same, goes
through a real node's API and CLI and comes out as it went in; a bad file changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schemas import domain_blocks
from schemas.domain_blocks import CsvError, DomainBlockRow
from schemas.untrusted import MAX_REQUEST_BYTES
from tests.network import LoopbackNetwork
from tests.support import run_maillage_async
from tests.test_api_neighbours import call, log_in

FIXTURE = Path(__file__).parent / "fixtures" / "mastodon-domain-blocks" / "domain_blocks.csv"


def test_the_fixture_reads_as_mastodon_meant_it() -> None:
    rows = domain_blocks.parse(FIXTURE.read_text(encoding="utf-8"))
    assert [(r.domain, r.severity, r.public_comment) for r in rows] == [
        ("spam.example", "suspend", "Spam and harassment"),
        ("noisy.example", "limit", "Floods the federated timeline, with commas"),
        ("media.example", None, "Rejects media only"),
        ("Sub.Bad.Example.", "suspend", ""),
    ]


def test_what_is_written_reads_back_the_same() -> None:
    rows = [
        DomainBlockRow("spam.example", "suspend", 'Spam, and "quotes"'),
        DomainBlockRow("noisy.example", "limit", "Floods\nthe timeline"),
    ]
    text = domain_blocks.write(rows)
    assert text.splitlines()[0] == ",".join(domain_blocks.HEADER)
    again = domain_blocks.parse(text)
    assert [(r.domain, r.severity, r.public_comment) for r in again] == [
        (r.domain, r.severity, r.public_comment) for r in rows
    ]


@pytest.mark.parametrize(
    ("text", "code", "line", "message"),
    [
        ("", "csv-empty", 0, "the file is empty"),
        ("#severity\nsuspend\n", "csv-no-domain-column", 1, "line 1: no `#domain` column"),
        ("#domain,#severity\nspam.example,obliterate\n", "csv-unknown-severity", 2,
         "line 2: unknown severity"),
        ("#domain,#severity\n,suspend\n", "csv-no-domain", 2, "line 2: no domain"),
        # The csv module's limit on one field (128 Ki characters).
        ("#domain\nok.example\n" + "a" * 140_000 + "\n", "csv-unreadable", 3,
         "line 3: field larger than field limit"),
    ],
)  # fmt: skip
def test_a_file_that_is_not_a_domain_block_list_is_refused(
    text: str, code: str, line: int, message: str
) -> None:
    with pytest.raises(CsvError, match=message) as refused:
        domain_blocks.parse(text)
    assert (refused.value.code, refused.value.line) == (code, line)


def test_the_size_limit_fits_in_a_request_with_room_for_json_escaping() -> None:
    assert domain_blocks.MAX_BYTES * 2 <= MAX_REQUEST_BYTES
    at_limit = just_over_the_limit()[1:]
    assert len(at_limit.encode()) == domain_blocks.MAX_BYTES
    assert len(domain_blocks.parse(at_limit)) > 10_000
    with pytest.raises(CsvError) as refused:
        domain_blocks.parse(just_over_the_limit())
    assert refused.value.code == "csv-too-large"


def just_over_the_limit() -> str:
    """A valid CSV of MAX_BYTES + 1 bytes: rows of domains, padded by the last one (which ends
    the file without a line end: the API strips a body's trailing whitespace)."""
    text = "#domain,#severity\n"
    row = 0
    while len(text) < domain_blocks.MAX_BYTES - 100:
        text += f"d{row}.example,suspend\n"
        row += 1
    padding = domain_blocks.MAX_BYTES + 1 - len(text) - len(".example,suspend")
    text += "p" * padding + ".example,suspend"
    assert len(text.encode()) == domain_blocks.MAX_BYTES + 1
    return text


def test_a_bare_list_of_domains_suspends_as_mastodon_imports_it() -> None:
    rows = domain_blocks.parse("domain\nspam.example\n")
    assert [(r.domain, r.severity) for r in rows] == [("spam.example", "suspend")]


async def test_import_then_export_through_a_node_round_trips(
    network: LoopbackNetwork, tmp_path: Path
) -> None:
    node = await network.add("mende")
    await network.start_all()
    token = await log_in(node)
    status, body = await call(node, "POST", "/api/v1/moderation/domains/import", token=token,
                              body={"csv": "#domain\n" + "nope nope\n"})  # fmt: skip
    assert status == 200, body
    assert body["applied"] == []
    assert list(body["skipped"]) == ["line 2"]
    status, body = await call(node, "POST", "/api/v1/moderation/domains/import", token=token,
                              body={"csv": "#severity\nsuspend\n"})  # fmt: skip
    assert status == 422, body
    assert (body["code"], body["fields"]["csv"]) == (
        "csv-no-domain-column",
        "line 1: no `#domain` column (Mastodon's header starts with #domain)",
    )  # fmt: skip
    assert await node.fetchval("SELECT count(*) FROM domain_policies") == 0

    env = {"MAILLAGE_CONFIG_DIR": str(tmp_path / "config"), "MAILLAGE_PASSWORD": "x" * 12}
    url = f"http://127.0.0.1:{node.port}"
    login = await run_maillage_async("login", "--node", url, "--username", "admin", env=env)
    assert login.returncode == 0, login.stderr
    imported = await run_maillage_async("moderation", "domains", "import", str(FIXTURE), env=env)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.splitlines() == [
        "applied: 3",
        "skipped media.example: noop: Mastodon's severity for no block",
    ]
    exported = await run_maillage_async("moderation", "domains", "export", env=env)
    assert exported.returncode == 0, exported.stderr
    expected = {
        (r.domain.lower().rstrip("."), r.severity, r.public_comment)
        for r in domain_blocks.parse(FIXTURE.read_text(encoding="utf-8"))
        if r.severity is not None
    }
    assert {(r.domain, r.severity, r.public_comment)
            for r in domain_blocks.parse(exported.stdout)} == expected  # fmt: skip

    limited = await run_maillage_async(
        "moderation", "domains", "allow", "friends.example", "--reason", "our network", env=env
    )
    assert limited.stdout.strip() == "friends.example: allow (effective: allow)", limited.stderr
    listed = json.loads(
        (await run_maillage_async("moderation", "domains", "list", "--json", env=env)).stdout
    )
    assert {(p["domain"], p["severity"]) for p in listed} == {
        ("spam.example", "suspend"), ("noisy.example", "limit"),
        ("sub.bad.example", "suspend"), ("friends.example", "allow"),
    }  # fmt: skip
    removed = await run_maillage_async("moderation", "domains", "remove", "spam.example", env=env)
    assert removed.returncode == 0, removed.stderr
    again = await run_maillage_async("moderation", "domains", "remove", "spam.example", env=env)
    assert (again.returncode, again.stderr.strip()) == (
        1, "error: 404 the place has no policy for this domain",
    )  # fmt: skip
    log = json.loads((await run_maillage_async("moderation", "log", "--json", env=env)).stdout)
    assert [(e["who"], e["action"], e["target"]) for e in log][:2] == [
        ("admin", "domain.remove", "spam.example"),
        ("admin", "domain.allow", "friends.example"),
    ]
    own = await run_maillage_async("moderation", "domains", "suspend", "mende.test", env=env)
    assert own.returncode == 1
    assert "own domain" in own.stderr


async def test_a_file_just_over_the_limit_is_refused_with_its_code(
    network: LoopbackNetwork,
) -> None:
    """Through the API (the place's decisions and its published list): a clear 422, not a 413,
    and nothing applied."""
    node = await network.add("mende")
    await network.start_all()
    token = await log_in(node)
    text = just_over_the_limit()
    for path in ("/api/v1/moderation/domains/import",
                 "/api/v1/moderation/trust-lists/published/import"):  # fmt: skip
        status, body = await call(node, "POST", path, token=token, body={"csv": text})
        assert status == 422, body
        assert body["code"] == "csv-too-large"
        assert body["fields"] == {"csv": f"the file exceeds {domain_blocks.MAX_BYTES} bytes"}
    assert await node.fetchval("SELECT count(*) FROM domain_policies") == 0
    assert await node.fetchval("SELECT count(*) FROM trust_list_entries") == 0
