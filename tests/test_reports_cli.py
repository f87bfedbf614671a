"""`maillage report`, `maillage moderation reports ...` and `maillage moderation block ...`, run
as real processes against real nodes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.network import LoopbackNetwork
from tests.support import run_maillage_async
from tests.test_blocks_reports_network import two_places


async def test_report_resolve_and_block_from_the_command_line(
    network: LoopbackNetwork, tmp_path: Path
) -> None:
    mende, florac, _, repair = await two_places(network)
    env = {"MAILLAGE_CONFIG_DIR": str(tmp_path / "config"), "MAILLAGE_PASSWORD": "x" * 12}
    url = f"http://127.0.0.1:{mende.port}"
    login = await run_maillage_async("login", "--node", url, "--username", "admin", env=env)
    assert login.returncode == 0, login.stderr

    filed = await run_maillage_async("report", repair, "--comment", "Doublon", env=env)
    assert filed.returncode == 0, filed.stderr
    assert filed.stdout.strip() == "Report 1 filed."
    listed = await run_maillage_async("moderation", "reports", "list", "--json", env=env)
    [row] = json.loads(listed.stdout)
    assert (row["target_actor"], row["objects"], row["comment"]) == (
        florac.place,
        [repair],
        "Doublon",
    )
    shown = await run_maillage_async("moderation", "reports", "show", "1", env=env)
    handle = florac.handle.removeprefix("acct:")
    assert f"Reported: {row['target_name']} ({handle}) <{florac.place}>" in shown.stdout
    assert f"  Repair café <{repair}>" in shown.stdout
    table = await run_maillage_async("moderation", "reports", "list", env=env)
    assert f"({handle})" in table.stdout

    # A page at a time: a second report, then the queue one report per page.
    await run_maillage_async("report", florac.place, "--comment", "Le lieu", env=env)
    pages = [
        await run_maillage_async("moderation", "reports", "list", "--json", *more, env=env)
        for more in (("--limit", "1"), ("--limit", "1", "--before", "2"), ("--before", "1"))
    ]
    assert [[r["id"] for r in json.loads(p.stdout)] for p in pages] == [[2], [1], []]

    bad = await run_maillage_async("moderation", "reports", "resolve", "1", "banish", env=env)
    assert bad.returncode == 2  # click refuses the choice before any request
    done = await run_maillage_async(
        "moderation", "reports", "resolve", "1", "no_action", "--reason", "ok", env=env
    )
    assert done.stdout.strip() == "Report 1 resolved: no_action."
    assert await mende.fetchval("SELECT action FROM moderation_log ORDER BY id DESC LIMIT 1") == (
        "report.no_action"
    )
    missing = await run_maillage_async("moderation", "reports", "show", "99", env=env)
    assert (missing.returncode, missing.stderr.strip()) == (1, "error: 404 no report 99")

    blocked = await run_maillage_async("moderation", "block", florac.place, env=env)
    assert blocked.stdout.strip() == f"Blocked {florac.place}."
    listed = await run_maillage_async("moderation", "blocks", "--json", env=env)
    assert [b["actor"] for b in json.loads(listed.stdout)] == [florac.place]
    unblocked = await run_maillage_async("moderation", "unblock", florac.place, env=env)
    assert unblocked.stdout.strip() == f"Unblocked {florac.place}."
