"""Migrations replay into an empty database, take turns, and refuse a schema they do not know."""

from __future__ import annotations

import asyncio
import json

import asyncpg
import pytest

from server.migrations import (
    Migration,
    MigrationError,
    bundled_migrations,
    migrate,
    migration_status,
)


async def table_names(connection: asyncpg.Connection) -> set[str]:
    rows = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {row["tablename"] for row in rows}


async def test_all_migrations_replay_into_an_empty_database(empty_database_url: str) -> None:
    connection = await asyncpg.connect(empty_database_url)
    try:
        assert not (await migration_status(connection)).current
        applied = await migrate(connection)
        assert [m.version for m in applied] == [m.version for m in bundled_migrations()]
        assert {"schema_migrations", "actor_keys", "accounts"} <= await table_names(connection)
        status = await migration_status(connection)
        assert status.current
        assert status.applied == [m.version for m in bundled_migrations()]
        assert await migrate(connection) == []
    finally:
        await connection.close()


async def test_migration_versions_are_numbered_from_one_without_gaps() -> None:
    versions = [m.version for m in bundled_migrations()]
    assert versions == list(range(1, len(versions) + 1))


async def test_concurrent_starts_apply_each_migration_once(empty_database_url: str) -> None:
    first = await asyncpg.connect(empty_database_url)
    second = await asyncpg.connect(empty_database_url)
    try:
        results = await asyncio.gather(migrate(first), migrate(second))
        applied_counts = sorted(len(result) for result in results)
        assert applied_counts == [0, len(bundled_migrations())]
        count = await first.fetchval("SELECT count(*) FROM schema_migrations")
        assert count == len(bundled_migrations())
    finally:
        await first.close()
        await second.close()


async def test_a_changed_applied_migration_stops_the_start(
    connection: asyncpg.Connection,
) -> None:
    changed = [
        Migration(m.version, m.name, m.sql + "\n-- edited") if m.version == 1 else m
        for m in bundled_migrations()
    ]
    with pytest.raises(MigrationError, match=r"0001_foundation\.sql changed after it was applied"):
        await migrate(connection, changed)
    with pytest.raises(MigrationError, match="changed after it was applied"):
        await migration_status(connection, changed)


async def test_a_database_newer_than_the_code_stops_the_start(
    connection: asyncpg.Connection,
) -> None:
    await connection.execute(
        "INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'future', 'x')"
    )
    with pytest.raises(MigrationError, match="migration 9999, which this code does not know"):
        await migrate(connection)
    with pytest.raises(MigrationError, match="created by a newer Maillage"):
        await migration_status(connection)


async def test_a_failing_migration_leaves_nothing_half_applied(
    connection: asyncpg.Connection,
) -> None:
    broken = [
        *bundled_migrations(),
        Migration(9000, "broken", "CREATE TABLE half_made (id int); SELECT no_such_function();"),
    ]
    with pytest.raises(asyncpg.UndefinedFunctionError):
        await migrate(connection, broken)
    assert "half_made" not in await table_names(connection)
    assert 9000 not in (await migration_status(connection)).applied
    assert await connection.fetchval("SELECT pg_try_advisory_lock(1)")


async def test_stored_actor_names_become_characters_once(empty_database_url: str) -> None:
    """0016: remote actors' names, stored as peers sent them, are decoded once."""
    connection = await asyncpg.connect(empty_database_url)
    try:
        known = bundled_migrations()
        ours = next(m for m in known if m.name == "plain_text_names_and_addresses")
        await migrate(connection, [m for m in known if m.version < ours.version])
        names = {
            "escaped": "Caf&eacute; &quot;A&quot; &amp; &lt;B&gt; &#39;x&#x27;",
            "raw": 'Café "A" & <B>',
            "twice": "&amp;lt;b&amp;gt; &amp;amp;",
            "spaced": " \x07Tiers&nbsp;lieu\t",
            "control": "&#1;",
            "blank": " \x07 ",
            "none": None,
        }
        for key, name in names.items():
            await connection.execute(
                "INSERT INTO remote_actors (uri, host, kind, display_name, inbox, document) "
                "VALUES ($1, 'florac.example', 'Group', $2, $1 || '/inbox', '{}'::jsonb)",
                f"https://florac.example/{key}",
                name,
            )
        await connection.execute(
            """
            INSERT INTO stream_events (kind, local, place, data) VALUES
                ('neighbour', true, null, '{"name": "Tom &amp; Jerry", "relation": "follows"}'),
                ('neighbour', true, null, '{"name": null}'),
                ('event', false, null, '{"name": "1 &amp;lt; 2"}')
            """
        )
        assert await migrate(connection, [m for m in known if m.version <= ours.version]) == [ours]

        rows = await connection.fetch("SELECT uri, display_name FROM remote_actors")
        stored = {row["uri"].rsplit("/", 1)[1]: row["display_name"] for row in rows}
        assert stored == {
            # &eacute; is not among the entities the migration decodes: the next fetch does.
            "escaped": "Caf&eacute; \"A\" & <B> 'x'",
            "raw": 'Café "A" & <B>',
            "twice": "&lt;b&gt; &amp;",
            "spaced": "Tiers\u00a0lieu",
            "control": "&#1;",  # left as is, like any reference to no printable character
            "blank": None,
            "none": None,
        }
        stream = await connection.fetch("SELECT data FROM stream_events ORDER BY id")
        assert [json.loads(row["data"]) for row in stream] == [
            {"name": "Tom & Jerry", "relation": "follows"},
            {"name": None},
            {"name": "1 &amp;lt; 2"},  # events' names were decoded by 0012 already
        ]
    finally:
        await connection.close()
