"""Where the node's database is: descriptions without passwords, the embedded server's folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from server.database import DatabaseUnavailable, EmbeddedPostgres, describe_dsn


def test_a_description_never_carries_the_password() -> None:
    described = describe_dsn("postgresql://maillage:s3cret@db.example.org:5433/places")
    assert described == 'database "places" on db.example.org:5433'


def test_a_socket_dsn_is_described_by_its_folder() -> None:
    described = describe_dsn("postgresql://postgres:@/maillage?host=/var/run/pg")
    assert described == 'database "maillage" on /var/run/pg'


@pytest.mark.skipif(os.geteuid() != 0, reason="the check only applies when running as root")
def test_root_gets_a_clear_message_for_a_private_data_directory(tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    with pytest.raises(DatabaseUnavailable, match=r"cannot enter .*private"):
        EmbeddedPostgres(private / "node").start()
