"""The Fedify peer harness: two peers federate end to end, and the skip/fail decision is right."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests import fedify_peer
from tests.fedify_peer import (
    FedifyPeerError,
    FedifyPeerFactory,
    FedifyUnavailable,
    activity,
    decide,
    install_peer,
    skip_or_fail,
    unavailable_reason,
)
from tests.peer_install import check_runtime

# The fixtures, bound in this module so that pytest finds them (an import would trip ruff's F811).
fedify_install = fedify_peer.fedify_install
fedify_peer_factory = fedify_peer.fedify_peer_factory

# --- the decision: skip locally, fail under CI ---------------------------------------------


def test_missing_node_is_a_skip_without_ci(tmp_path: Path) -> None:
    reason = unavailable_reason(which=lambda name: None, source=tmp_path)
    assert reason is not None
    assert "node" in reason
    assert decide(reason, {}) == ("skip", reason)
    assert decide(reason, {"CI": "false"})[0] == "skip"


def test_missing_node_is_a_failure_under_ci(tmp_path: Path) -> None:
    reason = unavailable_reason(which=lambda name: None, source=tmp_path)
    assert reason is not None
    outcome, message = decide(reason, {"CI": "true"})
    assert outcome == "fail"
    assert reason in message
    assert "CI" in message


def test_missing_npm_and_missing_peer_folder_are_named(tmp_path: Path) -> None:
    def node_only(name: str) -> str | None:
        return "/usr/bin/node" if name == "node" else None

    npm_reason = unavailable_reason(which=node_only, source=tmp_path)
    assert npm_reason is not None
    assert "npm" in npm_reason

    absent = tmp_path / "peers" / "fedify"
    folder_reason = unavailable_reason(which=lambda name: f"/usr/bin/{name}", source=absent)
    assert folder_reason is not None
    assert str(absent) in folder_reason

    (tmp_path / "peer.mjs").write_text("")
    files_reason = unavailable_reason(which=lambda name: f"/usr/bin/{name}", source=tmp_path)
    assert files_reason is not None
    assert "package-lock.json" in files_reason


def test_complete_prerequisites_give_no_reason(tmp_path: Path) -> None:
    for name in ("package.json", "package-lock.json", "peer.mjs"):
        (tmp_path / name).write_text("{}")
    assert unavailable_reason(which=lambda name: f"/usr/bin/{name}", source=tmp_path) is None


def test_skip_or_fail_raises_the_matching_outcome() -> None:
    with pytest.raises(pytest.skip.Exception, match="no node"):
        skip_or_fail("no node", {"CI": ""})
    with pytest.raises(pytest.fail.Exception, match="no node"):
        skip_or_fail("no node", {"CI": "true"})


def test_failing_npm_ci_is_reported_as_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / "package.json").write_text('{"name": "broken", "dependencies": {"x": "1.0.0"}}')
    (source / "package-lock.json").write_text("{}")  # out of sync with package.json: npm ci fails
    (source / "peer.mjs").write_text("")
    # A fake npm that fails the way `npm ci` does, so this test needs neither npm nor the network.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_npm = bin_dir / "npm"
    fake_npm.write_text("#!/bin/sh\necho 'npm ERR! lock file out of sync' >&2\nexit 1\n")
    fake_npm.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    cache = tmp_path / "cache"
    cache.mkdir()
    with pytest.raises(FedifyUnavailable, match="out of sync") as raised:
        install_peer(source, cache)
    assert decide(raised.value.reason, {"CI": "true"})[0] == "fail"
    assert not [path for path in cache.iterdir() if path.is_dir()]  # nothing half-installed kept


def test_a_node_runtime_of_another_major_version_is_refused(tmp_path: Path) -> None:
    # What the npm `node` package leaves when its install script did not fetch the binary: a
    # program that is not the Node the Fedify 2 peer needs.
    fake_node = tmp_path / "node"
    fake_node.write_text("#!/bin/sh\necho v20.20.2\n")
    fake_node.chmod(0o755)
    with pytest.raises(FedifyUnavailable, match="not Node 22"):
        check_runtime(str(fake_node), "22")
    fake_node.write_text("#!/bin/sh\necho v22.23.3\n")
    check_runtime(str(fake_node), "22")


# --- end to end: two real peers --------------------------------------------------------------


@pytest.mark.slow
async def test_two_peers_federate_an_event(fedify_peer_factory: FedifyPeerFactory) -> None:
    # Started together: each peer spends most of its start-up generating its RSA key.
    alice, bob = await asyncio.gather(
        fedify_peer_factory(name="alice"),
        fedify_peer_factory(name="bob", spec="draft-cavage-http-signatures-12", secure=True),
    )
    assert (await alice.health())["actor"] == alice.actor_id == f"{alice.origin}/users/alice"

    sent = await alice.follow(f"acct:bob@127.0.0.1:{bob.port}")
    assert sent["to"] == bob.actor_id
    await bob.wait_for_activity(activity("Follow", actor=alice.actor_id))
    await alice.wait_for_activity(activity("Accept", actor=bob.actor_id))

    published = await bob.publish(
        type="Event",
        name="Atelier impression 3D",
        content="<p>Venez</p>",
        startTime="2026-12-01T17:00:00Z",
        endTime="2026-12-01T19:00:00Z",
        location={"name": "Le Bar Atelier", "latitude": 44.5181, "longitude": 3.5006},
    )

    def create_of_the_event(entry: dict[str, object]) -> bool:
        return entry.get("type") == "Create" and entry.get("id") == published["activity"]

    create = await alice.wait_for_activity(create_of_the_event, what="bob's Create of the Event")
    assert create["actor"] == bob.actor_id
    event = create["json"]["object"]
    assert event["type"] == "Event"
    assert event["id"] == published["id"]
    assert event["location"]["type"] == "Place"
    assert event["location"]["name"] == "Le Bar Atelier"
    assert any(hit["sig"] != "none" and hit["status"] == 202 for hit in await alice.access())

    # Control API errors carry the peer's answer; a wait that times out names what it awaited.
    with pytest.raises(FedifyPeerError, match="unknown object"):
        await bob.update("http://127.0.0.1:1/nothing", name="?")
    with pytest.raises(AssertionError, match="a Leave that never comes"):
        await bob.wait_for_activity(activity("Leave"), within=0.2, what="a Leave that never comes")
