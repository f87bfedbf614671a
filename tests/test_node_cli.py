"""The operator's commands, run as a real process: init, migrate, serve."""

from __future__ import annotations

import os
import signal
import subprocess
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from server.database import EmbeddedPostgres
from tests.support import free_port, maillage_command, run_maillage, wait_until

GOOD_INIT = (
    "init",
    "--domain",
    "mende.example.org",
    "--name",
    "Tiers-lieu de Mende",
    "--admin-username",
    "camille",
    "--admin-email",
    "camille@mende.example.org",
    "--admin-password",
    "correct horse battery",
)


def node_env(node_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {"MAILLAGE_DATA_DIR": str(node_dir), "MAILLAGE_DB_CONNECT_DEADLINE": "20"}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return env


def without_database_url() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}


async def stored_keys(database_url: str) -> dict[tuple[str, str], str]:
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch("SELECT actor_name, algorithm, public_pem FROM actor_keys")
    finally:
        await connection.close()
    return {(row["actor_name"], row["algorithm"]): row["public_pem"] for row in rows}


async def test_init_creates_config_keys_and_administrator(
    node_dir: Path, database_url: str
) -> None:
    result = run_maillage(*GOOD_INIT, env=node_env(node_dir, database_url))
    assert result.returncode == 0, result.stderr
    config = tomllib.loads((node_dir / "maillage.toml").read_text())
    assert config == {"domain": "mende.example.org", "place_name": "Tiers-lieu de Mende"}
    keys = await stored_keys(database_url)
    assert set(keys) == {
        (actor, algorithm)
        for actor in ("application", "place", "camille")
        for algorithm in ("rsa-2048", "ed25519")
    }
    assert "PRIVATE KEY" not in result.stdout + result.stderr
    connection = await asyncpg.connect(database_url)
    try:
        admin = await connection.fetchrow("SELECT role, password_hash FROM accounts")
    finally:
        await connection.close()
    assert admin is not None
    assert admin["role"] == "administrator"
    assert admin["password_hash"].startswith("$argon2id$")


async def test_init_with_bad_input_names_each_problem_and_writes_nothing(
    node_dir: Path, database_url: str
) -> None:
    result = run_maillage(
        "init",
        "--domain",
        "not a domain/",
        "--name",
        "   ",
        "--admin-username",
        "Camille!",
        "--admin-email",
        "camille",
        "--admin-password",
        "short",
        env=node_env(node_dir, database_url),
    )
    assert result.returncode == 1
    for field in ("domain:", "place name:", "username:", "email:", "password:"):
        assert field in result.stderr
    assert "Traceback" not in result.stderr
    assert not (node_dir / "maillage.toml").exists()
    assert await stored_keys(database_url) == {}


async def test_init_twice_needs_force(node_dir: Path, database_url: str) -> None:
    env = node_env(node_dir, database_url)
    assert run_maillage(*GOOD_INIT, env=env).returncode == 0
    first_keys = await stored_keys(database_url)
    config_before = (node_dir / "maillage.toml").read_text()

    again = run_maillage(*GOOD_INIT[:2], "other.example.org", *GOOD_INIT[3:], env=env)
    assert again.returncode == 1
    assert "already initialised" in again.stderr
    assert "--force" in again.stderr
    assert (node_dir / "maillage.toml").read_text() == config_before
    assert await stored_keys(database_url) == first_keys

    forced = run_maillage(*GOOD_INIT[:2], "other.example.org", *GOOD_INIT[3:], "--force", env=env)
    assert forced.returncode == 0, forced.stderr
    assert "other.example.org" in (node_dir / "maillage.toml").read_text()
    new_keys = await stored_keys(database_url)
    assert new_keys.keys() == first_keys.keys()
    assert all(new_keys[key] != first_keys[key] for key in first_keys)


async def test_init_refuses_a_database_that_already_holds_a_node(
    tmp_path: Path, database_url: str
) -> None:
    assert run_maillage(*GOOD_INIT, env=node_env(tmp_path / "a", database_url)).returncode == 0
    second = run_maillage(*GOOD_INIT, env=node_env(tmp_path / "b", database_url))
    assert second.returncode == 1
    assert "already holds a node" in second.stderr
    assert not (tmp_path / "b" / "maillage.toml").exists()


def test_unreachable_database_names_host_and_database_but_not_password(node_dir: Path) -> None:
    port = free_port()
    env = {
        "MAILLAGE_DATA_DIR": str(node_dir),
        "DATABASE_URL": f"postgresql://maillage:s3cret-pw@127.0.0.1:{port}/placedb",
        "MAILLAGE_DB_CONNECT_DEADLINE": "1.5",
    }
    result = run_maillage("migrate", env=env)
    assert result.returncode == 1
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith('error: cannot reach database "placedb" on 127.0.0.1:')
    assert "gave up after 1.5 s" in last_line
    assert "retrying" in result.stderr
    assert "s3cret-pw" not in result.stderr + result.stdout


async def test_migrate_reports_the_schema_version(node_dir: Path, empty_database_url: str) -> None:
    result = run_maillage("migrate", env=node_env(node_dir, empty_database_url))
    assert result.returncode == 0, result.stderr
    assert "nothing pending" in result.stdout


def test_serve_without_init_says_what_to_do(node_dir: Path) -> None:
    result = run_maillage("serve", env={"MAILLAGE_DATA_DIR": str(node_dir)})
    assert result.returncode == 1
    assert "run `maillage init` first" in result.stderr


@contextmanager
def running_node(
    node_dir: Path, port: int, env: dict[str, str], base_env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[str]]:
    log_file = (node_dir.parent / f"serve-{port}.log").open("w")
    process = subprocess.Popen(
        maillage_command("serve", "--port", str(port)),
        env={**(base_env if base_env is not None else os.environ), **env},
        stdout=log_file,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log_file.close()


async def ready_status(port: int) -> int | None:
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/readyz") as response,
        ):
            return response.status
    except aiohttp.ClientConnectionError:
        return None


def stop_gracefully(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=30)


async def test_serve_answers_ready_and_stops_on_sigterm(node_dir: Path, database_url: str) -> None:
    env = node_env(node_dir, database_url)
    assert run_maillage(*GOOD_INIT, env=env).returncode == 0
    port = free_port()
    with running_node(node_dir, port, env) as process:
        assert await wait_until(lambda: ready_status(port), within=90, what="/readyz") == 200
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/healthz") as response,
        ):
            assert response.status == 200
        assert stop_gracefully(process) == 0


async def test_a_busy_port_is_a_one_line_error(node_dir: Path, database_url: str) -> None:
    env = node_env(node_dir, database_url)
    assert run_maillage(*GOOD_INIT, env=env).returncode == 0
    port = free_port()
    with running_node(node_dir, port, env) as first:
        await wait_until(lambda: ready_status(port), within=90, what="the first node")
        second = run_maillage("serve", "--port", str(port), env=env)
        assert second.returncode == 1
        assert second.stderr.strip() == f"error: port {port} on 127.0.0.1 is already in use"
        assert stop_gracefully(first) == 0


async def test_embedded_node_keeps_its_data_across_restarts(node_dir: Path) -> None:
    """The README path: no DATABASE_URL, init then serve, stop, serve again."""
    base_env = without_database_url()
    env = {"MAILLAGE_DATA_DIR": str(node_dir)}
    init = subprocess.run(
        maillage_command(*GOOD_INIT),
        env={**base_env, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert init.returncode == 0, init.stderr
    postmaster_pid = node_dir / "postgres" / "postmaster.pid"
    assert not postmaster_pid.exists(), "init must stop the embedded PostgreSQL it started"

    for _ in range(2):
        port = free_port()
        with running_node(node_dir, port, env, base_env) as process:
            assert (
                await wait_until(lambda p=port: ready_status(p), within=90, what="/readyz") == 200
            )
            assert stop_gracefully(process) == 0
        assert not postmaster_pid.exists(), "serve must stop the embedded PostgreSQL on exit"

    embedded = EmbeddedPostgres(node_dir)
    target = embedded.start()
    try:
        connection = await asyncpg.connect(target.dsn)
        try:
            usernames = await connection.fetch("SELECT username FROM accounts")
            key_count = await connection.fetchval("SELECT count(*) FROM actor_keys")
        finally:
            await connection.close()
    finally:
        embedded.stop()
    assert [row["username"] for row in usernames] == ["camille"]
    assert key_count == 6


@pytest.mark.parametrize("signum", [signal.SIGINT])
async def test_ctrl_c_stops_cleanly(node_dir: Path, database_url: str, signum: int) -> None:
    env = node_env(node_dir, database_url)
    assert run_maillage(*GOOD_INIT, env=env).returncode == 0
    port = free_port()
    with running_node(node_dir, port, env) as process:
        await wait_until(lambda: ready_status(port), within=90, what="/readyz")
        process.send_signal(signum)
        assert process.wait(timeout=30) == 0
