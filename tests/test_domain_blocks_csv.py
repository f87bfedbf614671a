"""Mastodon's domain-block CSV: the fixture in Mastodon's shape reads, writes back the same, goes
through a real node's API and CLI and comes out as it went in; a bad file changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schemas import domain_blocks
from schemas.domain_blocks import CsvError, DomainBlockRow
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
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("#severity\nsuspend\n", "no `#domain` column"),
        ("#domain,#severity\nspam.example,obliterate\n", "line 2: unknown severity"),
        ("#domain,#severity\n,suspend\n", "line 2: no domain"),
    ],
)
def test_a_file_that_is_not_a_domain_block_list_is_refused(text: str, message: str) -> None:
    with pytest.raises(CsvError, match=message):
        domain_blocks.parse(text)


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
