"""Settings come from maillage.toml and the environment, and bad values are named precisely."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.config import ConfigError, load_settings


def write_config(folder: Path, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "maillage.toml").write_text(text, encoding="utf-8")


def test_toml_file_is_read_and_the_environment_wins(
    node_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(
        node_dir, 'domain = "Mende.Example.ORG."\nplace_name = "Tiers-lieu de Mende"\nport = 9000\n'
    )
    monkeypatch.setenv("MAILLAGE_PORT", "9100")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = load_settings(node_dir)
    assert settings.domain == "mende.example.org"
    assert settings.place_name == "Tiers-lieu de Mende"
    assert settings.port == 9100
    assert settings.public_url == "https://mende.example.org"
    assert settings.data_dir == node_dir.absolute()


def test_command_line_overrides_win_over_the_environment(
    node_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILLAGE_PORT", "9100")
    assert load_settings(node_dir, port=9200).port == 9200


def test_a_bad_domain_in_the_file_is_named(node_dir: Path) -> None:
    write_config(node_dir, 'domain = "https://mende.example.org/path"\n')
    with pytest.raises(ConfigError, match=r"domain \(MAILLAGE_DOMAIN\)"):
        load_settings(node_dir)


def test_an_unknown_setting_in_the_file_is_refused(node_dir: Path) -> None:
    write_config(node_dir, "prot = 8080\n")
    with pytest.raises(ConfigError, match="prot"):
        load_settings(node_dir)


def test_unparsable_toml_is_a_config_error(node_dir: Path) -> None:
    write_config(node_dir, "domain = \n")
    with pytest.raises(ConfigError, match=r"maillage\.toml"):
        load_settings(node_dir)


def test_bad_environment_values_are_named(node_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILLAGE_PORT", "seventy")
    monkeypatch.setenv("DATABASE_URL", "mysql://root@localhost/db")
    with pytest.raises(ConfigError) as raised:
        load_settings(node_dir)
    assert "port (MAILLAGE_PORT)" in str(raised.value)
    assert "database_url (DATABASE_URL): must start with postgresql://" in str(raised.value)


def test_pool_bounds_must_be_ordered(node_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILLAGE_DB_POOL_MIN", "20")
    monkeypatch.setenv("MAILLAGE_DB_POOL_MAX", "5")
    with pytest.raises(ConfigError, match="db_pool_min"):
        load_settings(node_dir)


def test_development_serves_plain_http(node_dir: Path) -> None:
    write_config(node_dir, 'domain = "localhost:8080"\ndevelopment = true\n')
    assert load_settings(node_dir).public_url == "http://localhost:8080"


def test_structured_values_come_from_the_environment_as_json_in_any_case(
    node_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(node_dir, 'domain = "mende.example.org"\n[dev_hosts]\n"a.test" = "127.0.0.2"\n')
    assert load_settings(node_dir).dev_hosts == {"a.test": "127.0.0.2"}
    monkeypatch.setenv("maillage_dev_hosts", '{"b.test": "127.0.0.1"}')
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db/maillage")
    settings = load_settings(node_dir)
    assert settings.dev_hosts == {"b.test": "127.0.0.1"}
    assert settings.database_url == "postgresql://u@db/maillage"


def test_an_environment_value_that_is_not_json_is_named(
    node_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILLAGE_DEV_HOSTS", "b.test=127.0.0.1")
    with pytest.raises(ConfigError, match=r"dev_hosts \(MAILLAGE_DEV_HOSTS\): not JSON"):
        load_settings(node_dir)


def test_an_unknown_setting_in_the_file_is_refused_and_unknown_variables_ignored(
    node_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILLAGE_PASSWORD", "x" * 12)  # the member CLI's, not a node setting
    assert load_settings(node_dir).port == 8080
    write_config(node_dir, "prot = 9000\n")
    with pytest.raises(ConfigError, match=r"prot \(MAILLAGE_PROT\)"):
        load_settings(node_dir)
