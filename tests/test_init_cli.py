"""`maillage init` for people and for scripts: where the password comes from, what it says without
a terminal, what development mode records, and how quiet it is."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import asyncpg

from server.passwords import password_matches
from tests.support import maillage_command, run_maillage
from tests.test_node_cli import node_env, without_database_url

IDENTITY = (
    "--domain",
    "mende.example.org",
    "--name",
    "Tiers-lieu de Mende",
    "--admin-username",
    "camille",
    "--admin-email",
    "camille@mende.example.org",
)


async def admin_password_hash(database_url: str) -> str:
    connection = await asyncpg.connect(database_url)
    try:
        value = await connection.fetchval("SELECT password_hash FROM accounts")
    finally:
        await connection.close()
    assert isinstance(value, str)
    return value


def test_without_a_terminal_init_names_everything_missing_at_once(
    node_dir: Path, database_url: str
) -> None:
    result = run_maillage("init", env=node_env(node_dir, database_url), input_text="")
    assert result.returncode == 1
    assert result.stderr.count("error:") == 1
    for wanted in (
        "--domain",
        "--name",
        "--admin-username",
        "--admin-email",
        "--admin-password-file",
        "MAILLAGE_ADMIN_PASSWORD",
    ):
        assert wanted in result.stderr
    assert "Aborted" not in result.stderr
    assert "GetPassWarning" not in result.stderr
    assert "Traceback" not in result.stderr
    assert not (node_dir / "maillage.toml").exists()


async def test_the_password_comes_from_a_file(
    tmp_path: Path, node_dir: Path, database_url: str
) -> None:
    secret = tmp_path / "password"
    secret.write_text("correct horse battery\n")
    result = run_maillage(
        "init", *IDENTITY, "--admin-password-file", str(secret),
        env=node_env(node_dir, database_url), input_text="",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert password_matches(await admin_password_hash(database_url), "correct horse battery")


async def test_the_password_comes_from_the_environment(node_dir: Path, database_url: str) -> None:
    env = {**node_env(node_dir, database_url), "MAILLAGE_ADMIN_PASSWORD": "battery staple horse"}
    result = run_maillage("init", *IDENTITY, env=env, input_text="")
    assert result.returncode == 0, result.stderr
    assert password_matches(await admin_password_hash(database_url), "battery staple horse")


def test_every_option_of_init_has_help() -> None:
    result = run_maillage("init", "--help", env={})
    assert result.returncode == 0
    for option in ("--domain", "--name", "--admin-username", "--admin-email",
                   "--admin-password-file", "--development", "--force", "--verbose"):  # fmt: skip
        line = next(ln for ln in result.stdout.splitlines() if ln.strip().startswith(option))
        assert len(line.split(option, 1)[1].strip()) > 10, line


def test_a_development_node_on_the_embedded_database_is_quiet_and_keeps_its_port(
    node_dir: Path,
) -> None:
    env = {
        **without_database_url(),
        "MAILLAGE_DATA_DIR": str(node_dir),
        "MAILLAGE_ADMIN_PASSWORD": "correct horse battery",
    }
    result = subprocess.run(
        maillage_command(
            "init", "--development", "--domain", "localhost:18093", "--name", "Florac",
            "--admin-username", "camille", "--admin-email", "camille@example.org",
        ),
        env=env, input="", capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    config = tomllib.loads((node_dir / "maillage.toml").read_text())
    assert config["port"] == 18093
    assert "127.0.0.1:18093" in result.stdout
    # The embedded database's narration (initdb, pg_ctl) goes to a file, not the terminal.
    assert "initdb" not in result.stderr
    assert len(result.stderr.splitlines()) <= 3, result.stderr
    assert "initdb" in (node_dir / "embedded-postgres.log").read_text()
