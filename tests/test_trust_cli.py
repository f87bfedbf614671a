"""`maillage trust ...` as real processes against two real nodes: a coordinator publishes its
list, another place follows it in review mode, accepts and refuses, then leaves."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp

from tests.network import LoopbackNetwork, NetworkNode
from tests.support import run_maillage_async


async def test_publish_subscribe_review_and_leave_from_the_command_line(
    network: LoopbackNetwork, tmp_path: Path
) -> None:
    coordinator = await network.add("coordination")
    mende = await network.add("mende")
    await network.start_all()

    async def run(node_dir: str, *args: str) -> tuple[int, str, str]:
        env = {"MAILLAGE_CONFIG_DIR": str(tmp_path / node_dir), "MAILLAGE_PASSWORD": "x" * 12}
        done = await run_maillage_async(*args, env=env)
        return done.returncode, done.stdout, done.stderr

    for name, node in (("coord", coordinator), ("mende", mende)):
        url = f"http://127.0.0.1:{node.port}"
        code, _, err = await run(name, "login", "--node", url, "--username", "admin")
        assert code == 0, err

    code, out, err = await run("coord", "trust", "publish", "on", "--name", "Lozère")
    assert code == 0, err
    list_url = f"{coordinator.base}/trust-list"
    assert list_url in out
    for domain, policy in (("spam.example", "suspend"), ("bruyant.example", "limit")):
        code, out, err = await run(
            "coord", "trust", "publish", "add", domain, "--policy", policy, "--reason", "spam"
        )
        assert code == 0, err
    code, out, err = await run("coord", "trust", "publish", "add", "a b", "--policy", "limit")
    assert (code, err.startswith("error: 422")) == (1, True), err
    csv_file = tmp_path / "blocks.csv"
    csv_file.write_text(
        "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"
        "pub.example,silence,false,false,publicité,false\n"
        "ok.example,noop,false,false,,false\n"
        "a b,suspend,false,false,,false\n",
        encoding="utf-8",
    )
    code, out, err = await run("coord", "trust", "publish", "import", str(csv_file))
    assert code == 0, err
    assert out.splitlines()[0] == "Added or changed: pub.example."
    assert "Skipped ok.example: noop" in out
    code, out, _ = await run("coord", "trust", "publish", "--json")
    published = json.loads(out)
    assert published["version"] == 4  # the import is one version
    assert {"domain": "pub.example", "policy": "limit", "public_reason": "publicité"} in (
        published["entries"]
    )
    csv_text = await _get_text(coordinator, "/trust-list.csv")
    assert "pub.example,silence,false,false,publicité,false" in csv_text.splitlines()

    code, out, err = await run("mende", "trust", "subscribe", list_url, "--apply", "review")
    assert code == 0, err
    assert "3 change(s) to review" in out
    code, out, _ = await run("mende", "trust", "proposals", "--json")
    proposals = {p["domain"]: p["id"] for p in json.loads(out)}
    assert set(proposals) == {"spam.example", "bruyant.example", "pub.example"}
    code, out, err = await run("mende", "trust", "accept", str(proposals["spam.example"]))
    assert (code, out.strip()) == (0, "Accepted: spam.example set suspend."), err
    code, out, err = await run(
        "mende", "moderation", "trust", "refuse", str(proposals["bruyant.example"])
    )
    assert code == 0, err
    code, _, err = await run("mende", "trust", "accept", str(proposals["spam.example"]))
    assert (code, err.startswith("error: 404")) == (1, True)
    code, out, _ = await run("mende", "trust", "list")
    assert list_url in out

    code, out, err = await run("mende", "trust", "unsubscribe", list_url)
    assert (code, out.strip()) == (0, f"Unsubscribed from {list_url}; lifted: spam.example."), err
    assert await mende.fetchval("SELECT count(*) FROM domain_policies") == 0


async def _get_text(node: NetworkNode, path: str) -> str:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{node.port}{path}") as response,
    ):
        assert response.status == 200
        assert response.content_type == "text/csv"
        return await response.text()
