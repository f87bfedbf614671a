"""Backups that restore: a node backed up while running comes back elsewhere with the same keys
and ids, and its neighbour keeps delivering to it."""

from __future__ import annotations

import stat
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from server.backup import BackupError, restore_backup, write_backup
from tests.conftest import create_database, drop_database, unique_name
from tests.network import LoopbackNetwork, NetworkNode
from tests.support import run_maillage, wait_until
from tests.test_api_neighbours import log_in
from tests.test_events_network import publish_event, remote_copy
from tests.test_federation_network import accepted, follow
from tests.test_node_cli import GOOD_INIT, node_env, stored_keys
from tests.test_unfollow_network import COMMON, names_in_agenda

START = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5)


@pytest_asyncio.fixture(loop_scope="session")
async def empty_databases(postgres_server_dsn: str) -> AsyncIterator[list[str]]:
    """Names of empty databases made on demand (a restore needs one with no schema); dropped
    after the test."""
    names: list[str] = []
    yield names
    for name in names:
        await drop_database(postgres_server_dsn, name)


async def an_empty_database(postgres_server_dsn: str, made: list[str]) -> str:
    name = unique_name("maillage_restored")
    made.append(name)
    return await create_database(postgres_server_dsn, name)


async def place_key(node: NetworkNode) -> str:
    actor = await node.get_json("/actors/place")
    return str(actor["publicKey"]["publicKeyPem"])


async def test_a_restored_node_keeps_its_keys_ids_and_neighbours(
    network: LoopbackNetwork,
    tmp_path: Path,
    postgres_server_dsn: str,
    empty_databases: list[str],
) -> None:
    mende = await network.add("mende")
    florac = await network.add("florac")
    await network.start_all()
    for follower, followed in ((mende, florac), (florac, mende)):
        await follow(follower, followed)
        await wait_until(
            lambda a=follower, b=followed: accepted(a, a.place, b.place), what="the Accept"
        )
    tokens = {node.name: await log_in(node) for node in (mende, florac)}
    before = await publish_event(
        mende, tokens["mende"], **COMMON, name="Avant la sauvegarde", start_time=START.isoformat()
    )
    await wait_until(lambda: remote_copy(florac, before["ap_id"]), what="the event on florac")
    key_before = await place_key(mende)

    backup_file = tmp_path / "mende.backup"
    summary = await write_backup(tmp_path / "no-config", mende.database_url, backup_file)
    assert summary.schema_version > 0
    assert stat.S_IMODE(backup_file.stat().st_mode) == 0o600

    await mende.stop()
    restored_url = await an_empty_database(postgres_server_dsn, empty_databases)
    await restore_backup(backup_file, tmp_path / "restored", restored_url)
    mende.database_url = restored_url
    mende.settings = mende.settings.model_copy(update={"database_url": restored_url})
    await mende.start()

    assert await place_key(mende) == key_before
    event = await mende.get_json(before["ap_id"].split(mende.base, 1)[1])
    assert event["id"] == before["ap_id"]

    later = (START + timedelta(hours=2)).isoformat()
    await publish_event(
        florac, tokens["florac"], **COMMON, name="Après la restauration", start_time=later
    )

    async def florac_event_arrived() -> bool:
        return "Après la restauration" in await names_in_agenda(mende)

    await wait_until(florac_event_arrived, what="florac's new event on the restored mende")
    token = await log_in(mende)
    after = await publish_event(
        mende, token, **COMMON, name="Depuis Mende restaurée", start_time=later
    )
    await wait_until(
        lambda: remote_copy(florac, after["ap_id"]), what="mende's new event on florac"
    )


async def test_backup_and_restore_commands(
    tmp_path: Path, database_url: str, postgres_server_dsn: str, empty_databases: list[str]
) -> None:
    source = tmp_path / "source"
    assert run_maillage(*GOOD_INIT, env=node_env(source, database_url)).returncode == 0
    backup_file = tmp_path / "node.backup"

    made = run_maillage("backup", str(backup_file), env=node_env(source, database_url))
    assert made.returncode == 0, made.stderr
    assert "private keys" in made.stderr
    assert stat.S_IMODE(backup_file.stat().st_mode) == 0o600

    target_url = await an_empty_database(postgres_server_dsn, empty_databases)
    target = tmp_path / "target"
    restored = run_maillage("restore", str(backup_file), env=node_env(target, target_url))
    assert restored.returncode == 0, restored.stderr
    assert await stored_keys(target_url) == await stored_keys(database_url)
    assert (target / "maillage.toml").read_text() == (source / "maillage.toml").read_text()

    again = run_maillage("restore", str(backup_file), env=node_env(target, target_url))
    assert again.returncode == 1
    assert "already holds a node" in again.stderr
    assert "Traceback" not in again.stderr


async def test_a_file_that_is_not_a_backup_is_refused(tmp_path: Path, database_url: str) -> None:
    bogus = tmp_path / "bogus.backup"
    bogus.write_bytes(b"not a tar file at all")
    with pytest.raises(BackupError, match="not a Maillage backup"):
        await restore_backup(bogus, tmp_path / "target", database_url)
    assert not (tmp_path / "target" / "maillage.toml").exists()
