"""Migration 0022: a host's signature scheme is learnt, not assumed. The draft-cavage stored so far
was only ever the column's default, so it becomes "not known yet"; a learnt rfc9421 stays."""

from __future__ import annotations

import asyncpg

from server.migrations import bundled_migrations, migrate


async def test_defaulted_schemes_become_unknown_and_learnt_ones_stay(
    empty_database_url: str,
) -> None:
    connection = await asyncpg.connect(empty_database_url)
    try:
        known = bundled_migrations()
        ours = next(m for m in known if m.name == "signature_scheme_unknown")
        assert ours.version == 22
        await migrate(connection, [m for m in known if m.version < ours.version])
        await connection.execute("INSERT INTO remote_hosts (host) VALUES ('defaulted.test')")
        await connection.execute(
            "INSERT INTO remote_hosts (host, signature_scheme) VALUES ('learnt.test', 'rfc9421')"
        )
        assert await migrate(connection, [m for m in known if m.version <= ours.version]) == [ours]

        rows = await connection.fetch("SELECT host, signature_scheme FROM remote_hosts")
        assert {row["host"]: row["signature_scheme"] for row in rows} == {
            "defaulted.test": None,
            "learnt.test": "rfc9421",
        }
        # A host first seen from now on has no scheme until one is learnt.
        await connection.execute("INSERT INTO remote_hosts (host) VALUES ('new.test')")
        scheme = await connection.fetchval(
            "SELECT signature_scheme FROM remote_hosts WHERE host = 'new.test'"
        )
        assert scheme is None
    finally:
        await connection.close()
