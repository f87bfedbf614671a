"""`maillage init`: validate what the operator gave, then create the node in one go.

Everything is checked before anything is written. The configuration file is written last, after the
database transaction that creates the keys and the administrator has committed, so a failure
leaves no half-made node behind.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from federation.hosts import parse_domain_setting
from federation.keys import (
    PrivateKey,
    generate_ed25519_key,
    generate_rsa_key,
    private_key_to_pem,
    public_key_to_pem,
)
from server.config import CONFIG_FILE_NAME, ConfigError, Settings, load_settings
from server.database import DbConnection
from server.lifecycle import open_pool
from server.passwords import MIN_PASSWORD_LENGTH, hash_password
from server.storage import accounts, keys, local_actors
from server.storage.local_actors import APPLICATION, PLACE, RESERVED_NAMES

USERNAME = re.compile(r"^[a-z0-9_]{1,30}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class NodeExists(Exception):
    """A node is already initialised here and --force was not given."""


@dataclass(frozen=True)
class NodeSetup:
    domain: str
    place_name: str
    admin_username: str
    admin_email: str
    admin_password: str
    development: bool = False

    def __repr__(self) -> str:
        return f"NodeSetup(domain={self.domain!r}, admin_username={self.admin_username!r})"


def validate_setup(
    domain: str,
    place_name: str,
    admin_username: str,
    admin_email: str,
    admin_password: str,
    development: bool = False,
) -> NodeSetup:
    """The validated setup, or a ConfigError listing every problem at once."""
    problems: list[str] = []
    try:
        domain = parse_domain_setting(domain)
    except ValueError as error:
        problems.append(f"domain: {error}")
    place_name = place_name.strip()
    if not place_name:
        problems.append("place name: must not be empty")
    elif len(place_name) > 200:
        problems.append("place name: must be at most 200 characters")
    admin_username = admin_username.strip()
    if not USERNAME.match(admin_username):
        problems.append(
            "administrator username: 1 to 30 characters among lowercase letters, digits and _"
        )
    elif admin_username in RESERVED_NAMES:
        problems.append(f"administrator username: {admin_username!r} is reserved")
    admin_email = admin_email.strip()
    if not EMAIL.match(admin_email):
        problems.append(f"administrator email: {admin_email!r} is not an email address")
    if len(admin_password) < MIN_PASSWORD_LENGTH:
        problems.append(
            f"administrator password: must be at least {MIN_PASSWORD_LENGTH} characters"
        )
    if problems:
        raise ConfigError("cannot initialise the node:\n  " + "\n  ".join(problems))
    return NodeSetup(domain, place_name, admin_username, admin_email, admin_password, development)


def existing_config(data_dir: Path) -> Path | None:
    path = data_dir / CONFIG_FILE_NAME
    return path if path.exists() else None


def initialise_node(data_dir: Path, setup: NodeSetup, *, force: bool) -> Settings:
    """Create the schema, the node's key pairs and the administrator, then write the config."""
    data_dir = data_dir.absolute()
    if not force and existing_config(data_dir):
        raise NodeExists(
            f"a node is already initialised in {data_dir}; use --force to replace it "
            "(its keys will change, and neighbours will have to refetch them)"
        )
    settings = load_settings(
        data_dir,
        domain=setup.domain,
        place_name=setup.place_name,
        development=setup.development or None,
    )
    pending_config = stage_config_file(data_dir, setup)
    try:
        asyncio.run(create_node_in_database(settings, setup, force=force))
        os.replace(pending_config, data_dir / CONFIG_FILE_NAME)
    finally:
        pending_config.unlink(missing_ok=True)
    return load_settings(data_dir)


async def create_node_in_database(settings: Settings, setup: NodeSetup, *, force: bool) -> None:
    password_hash = hash_password(setup.admin_password)
    pairs = new_key_pairs()
    async with open_pool(settings) as pool, pool.acquire() as connection:
        await create_node_records(connection, setup, password_hash, pairs, force=force)


def new_key_pairs() -> list[keys.StoredKeyPair]:
    """Key pairs of the node's own actors, the application and the place."""
    return [*new_key_pairs_for(APPLICATION), *new_key_pairs_for(PLACE)]


def new_key_pairs_for(actor: str) -> list[keys.StoredKeyPair]:
    """An RSA-2048 pair (what Mastodon requires) and an Ed25519 pair."""
    return [
        stored(actor, "rsa-2048", generate_rsa_key()),
        stored(actor, "ed25519", generate_ed25519_key()),
    ]


def stored(actor: str, algorithm: str, key: PrivateKey) -> keys.StoredKeyPair:
    return keys.StoredKeyPair(actor, algorithm, public_key_to_pem(key), private_key_to_pem(key))


async def create_node_records(
    connection: DbConnection,
    setup: NodeSetup,
    password_hash: str,
    pairs: list[keys.StoredKeyPair],
    *,
    force: bool,
) -> None:
    async with connection.transaction():
        if not force and await keys.count_key_pairs(connection) > 0:
            raise NodeExists(
                "this database already holds a node; use --force to replace its keys and "
                "administrator"
            )
        await local_actors.upsert_local_actor(
            connection, APPLICATION, "Application", setup.domain, visibility="network"
        )
        await local_actors.upsert_local_actor(
            connection, PLACE, "Group", setup.place_name, visibility="network"
        )
        admin = await accounts.upsert_account(
            connection, setup.admin_username, setup.admin_email, "administrator", password_hash
        )
        await local_actors.upsert_local_actor(
            connection, setup.admin_username, "Person", setup.admin_username, admin.id
        )
        for pair in [*pairs, *new_key_pairs_for(setup.admin_username)]:
            await keys.replace_key_pair(connection, pair)


def development_port(domain: str) -> int | None:
    """The port written in a domain setting (`localhost:8080`), if any."""
    _, colon, port = domain.rpartition(":")
    return int(port) if colon and port.isdigit() else None


def stage_config_file(data_dir: Path, setup: NodeSetup) -> Path:
    """Write the new configuration beside its final place; the caller renames it into place."""
    data_dir.mkdir(parents=True, exist_ok=True)
    content: dict[str, str | bool | int] = {
        "domain": setup.domain,
        "place_name": setup.place_name,
    }
    if setup.development:
        content["development"] = True
        # Without a proxy in front, a development node is reached on its domain's own port.
        port = development_port(setup.domain)
        if port is not None:
            content["port"] = port
    handle, name = tempfile.mkstemp(prefix=".maillage-", suffix=".toml", dir=data_dir)
    with os.fdopen(handle, "wb") as file:
        tomli_w.dump(content, file)
    return Path(name)
