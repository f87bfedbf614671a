"""The node's settings: one typed object read from the environment and `maillage.toml`.

Precedence, highest first: environment variables (`MAILLAGE_*`, and `DATABASE_URL`), then the TOML
file in the data directory, then the defaults below. The data directory itself comes only from
`MAILLAGE_DATA_DIR` (or the CLI's `--data-dir`), since it says where the file is.

The sources are read here (`tomllib`, `os.environ`) and validated by pydantic, rather than by
pydantic-settings: its import alone (dotenv, argparse, its cloud-secret providers) cost the node
about 1.5 MB of its 80 MB idle budget (issue 15), for what these few lines do. Values are read as
pydantic-settings read them: names in any case, structured values (`dev_hosts`) as JSON.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator

from federation.hosts import parse_domain_setting

CONFIG_FILE_NAME = "maillage.toml"
DEFAULT_DATA_DIR = "maillage-data"


class ConfigError(Exception):
    """A setting is missing or invalid; the message names it and says why."""


ENV_PREFIX = "MAILLAGE_"


class Settings(BaseModel):
    """Every setting of a node. The README's configuration reference mirrors this class."""

    model_config = ConfigDict(extra="forbid", validate_default=True)

    data_dir: Path = Field(
        default=Path(DEFAULT_DATA_DIR),
        description="Folder holding maillage.toml and the embedded database.",
    )
    domain: str | None = Field(
        default=None,
        description="Public host name (and port, if not the default) the node is reached at.",
    )
    place_name: str | None = Field(default=None, description="Name of the tiers-lieu.")
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "database_url"),
        description="PostgreSQL URL; without it the node runs an embedded PostgreSQL.",
    )
    db_pool_min: int = Field(default=1, ge=0, le=100, description="Smallest pool size.")
    db_pool_max: int = Field(default=10, ge=1, le=500, description="Largest pool size.")
    db_connect_deadline: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="Seconds to keep retrying an unreachable database before giving up.",
    )
    host: str = Field(default="127.0.0.1", description="Address `maillage serve` listens on.")
    port: int = Field(default=8080, ge=1, le=65535, description="Port `maillage serve` listens on.")
    shutdown_timeout: float = Field(
        default=10.0,
        gt=0,
        le=600,
        description="Seconds in-flight requests get to finish on SIGTERM or Ctrl-C.",
    )
    log_format: Literal["console", "json"] = Field(default="console", description="Log output.")
    log_level: Literal["debug", "info", "warning", "error"] = Field(default="info")
    development: bool = Field(
        default=False,
        description=(
            "Development only: serve and federate over plain http and allow loopback and private "
            "addresses (the tests and `maillage demo` use it). Never in production."
        ),
    )

    dev_hosts: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Development only: host names to resolve to fixed addresses (JSON object), such as "
            '{"mende.test": "127.0.0.1"} for a test network on one machine.'
        ),
    )
    limited_federation: bool = Field(
        default=False,
        description=(
            "Federate only with the domains an `allow` policy covers (the place's own and those "
            "of the trust lists it follows): every other host is refused inbound with 403 and is "
            "never fetched or delivered to. NodeInfo says so."
        ),
    )
    run_workers: bool = Field(
        default=True,
        description=(
            "Run the inbox and delivery workers inside `serve`; turn off when running "
            "`maillage worker` processes separately."
        ),
    )
    worker_poll_seconds: float = Field(
        default=2.0,
        gt=0,
        le=300,
        description="How often idle workers look for work besides being woken by NOTIFY.",
    )

    delivery_lease_seconds: float = Field(
        default=120.0,
        gt=0,
        le=3600,
        description=(
            "How long a worker holds a delivery or an inbox activity; if the worker dies, another "
            "takes it over after this time."
        ),
    )
    delivery_first_retry_seconds: float = Field(
        default=30.0,
        gt=0,
        le=86400,
        description="Delay before the first retry of a failed delivery; it doubles each time.",
    )

    suggestions_refresh_hours: float = Field(
        default=6.0,
        gt=0,
        le=24 * 30,
        description=(
            "How often each neighbour's `following` is read again for the directory's suggested "
            "places (it is also read when the follow is accepted)."
        ),
    )
    trust_lists_refresh_minutes: float = Field(
        default=60.0,
        gt=0,
        le=24 * 60 * 7,
        description=(
            "How often the trust lists the node follows are fetched again (besides the Update "
            "their publisher sends on each change)."
        ),
    )

    history_days: float = Field(
        default=30.0,
        ge=1,
        le=3650,
        description=(
            "How long processed inbox activities, finished deliveries and the live stream's "
            "history are kept; older ones are deleted by the workers."
        ),
    )

    authorized_fetch: bool = Field(
        default=False,
        description=(
            "Answer GETs of our ActivityPub documents (actors but the node's Application actor, "
            "collections, objects, activities) only when signed by a server (401 otherwise)."
        ),
    )

    inbox_origin_rate_per_second: float = Field(
        default=20.0, gt=0, description="Sustained inbox requests per second per sending server."
    )
    inbox_origin_burst: int = Field(
        default=200, ge=1, description="Inbox requests a sending server may send in a burst."
    )
    inbox_client_rate_per_second: float = Field(
        default=2.0,
        gt=0,
        description="Inbox requests per second per client address that are not (yet) verified.",
    )
    inbox_client_burst: int = Field(default=30, ge=1, description="Burst of the above.")
    inbox_max_in_flight_per_client: int = Field(
        default=16, ge=1, description="Concurrent inbox requests per client address (503 above)."
    )
    client_ip_header: str | None = Field(
        default=None,
        description=(
            "Header carrying the client address set by the reverse proxy (X-Forwarded-For); "
            "only when the node is reachable through the proxy alone."
        ),
    )
    metrics_token: str | None = Field(
        default=None,
        min_length=16,
        description=(
            "Bearer token a Prometheus scraper sends to read /metrics; without it /metrics "
            "answers 404."
        ),
    )

    @field_validator("domain")
    @classmethod
    def _domain_is_a_host(cls, value: str | None) -> str | None:
        return None if value is None else parse_domain_setting(value)

    @field_validator("place_name")
    @classmethod
    def _place_name_not_blank(cls, value: str | None) -> str | None:
        if value is None:
            return None
        stripped = value.strip()
        if not stripped:
            raise ValueError("the place's name must not be empty")
        if len(stripped) > 200:
            raise ValueError("the place's name must be at most 200 characters")
        return stripped

    @field_validator("database_url")
    @classmethod
    def _database_url_is_postgres(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must start with postgresql:// or postgres://")
        return value

    @property
    def config_file(self) -> Path:
        return self.data_dir / CONFIG_FILE_NAME

    @property
    def public_scheme(self) -> str:
        return "http" if self.development else "https"

    @property
    def public_url(self) -> str:
        if self.domain is None:
            raise ConfigError("the node has no domain yet: run `maillage init` first")
        return f"{self.public_scheme}://{self.domain}"


def environment_values(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings the environment gives: `MAILLAGE_<NAME>` for each field, in any case, and
    `DATABASE_URL`; a dict or list field's value is JSON."""
    by_name = {key.upper(): value for key, value in environ.items()}
    found: dict[str, Any] = {}
    for name, field in Settings.model_fields.items():
        variable = "DATABASE_URL" if name == "database_url" else ENV_PREFIX + name.upper()
        value = by_name.get(variable)
        if value is None:
            continue
        if field.annotation is not None and getattr(field.annotation, "__origin__", None) in (
            dict,
            list,
        ):
            try:
                found[name] = json.loads(value)
            except json.JSONDecodeError as error:
                raise ConfigError(f"{name} ({variable}): not JSON: {error}") from None
        else:
            found[name] = value
    return found


def file_values(toml_file: Path) -> dict[str, Any]:
    """The settings `maillage.toml` gives; none when there is no such file."""
    try:
        with toml_file.open("rb") as source:
            return tomllib.load(source)
    except FileNotFoundError:
        return {}


def resolve_data_dir(explicit: Path | None = None) -> Path:
    """The data directory: the CLI flag, else MAILLAGE_DATA_DIR, else ./maillage-data."""
    if explicit is not None:
        return explicit
    return Path(os.environ.get("MAILLAGE_DATA_DIR") or DEFAULT_DATA_DIR)


def load_settings(data_dir: Path | None = None, **overrides: Any) -> Settings:
    """Read the settings for the node whose data directory is `data_dir`.

    `overrides` are values given on the command line; they win over everything else.
    """
    folder = resolve_data_dir(data_dir).absolute()
    toml_file = folder / CONFIG_FILE_NAME
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        values = {**file_values(toml_file), **environment_values(os.environ)}
    except (OSError, ValueError) as error:
        raise ConfigError(f"cannot read {toml_file}: {error}") from None
    try:
        settings = Settings.model_validate({**values, **given, "data_dir": folder})
    except ValidationError as error:
        raise ConfigError(describe_validation_error(error, toml_file)) from None
    if settings.db_pool_min > settings.db_pool_max:
        raise ConfigError(
            f"db_pool_min ({settings.db_pool_min}) is larger than db_pool_max "
            f"({settings.db_pool_max})"
        )
    return settings


def describe_validation_error(error: ValidationError, toml_file: Path) -> str:
    """One line per failing setting, naming the variable a user would set."""
    lines = [f"invalid configuration (environment or {toml_file}):"]
    for problem in error.errors():
        name = ".".join(str(part) for part in problem["loc"]).lower() or "settings"
        variable = "DATABASE_URL" if name == "database_url" else f"MAILLAGE_{name.upper()}"
        message = problem["msg"].removeprefix("Value error, ")
        lines.append(f"  {name} ({variable}): {message}")
    return "\n".join(lines)
