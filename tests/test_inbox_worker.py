"""The inbox worker survives a handler that crashes: the activity is retried, the rest go on."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from server.processing import objects
from server.processing.context import NodeContext
from server.storage import inbox
from server.urls import NodeUrls
from server.workers.inbox import InboxWorker


class Exploding:
    async def created(self, *args: Any) -> None:
        raise RuntimeError("handler bug")

    async def updated(self, *args: Any) -> None:
        raise RuntimeError("handler bug")

    async def deleted(self, *args: Any) -> None:
        return None


async def test_a_crashing_handler_leaves_its_activity_pending_and_the_others_done(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(objects.OBJECT_HANDLERS, "Boom", Exploding())
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    try:
        async with pool.acquire() as connection:
            for activity_id, kind, object_type in (
                ("https://a.example/1", "Create", "Boom"),
                ("https://a.example/2", "Undo", "Follow"),
            ):
                await inbox.store_received(
                    connection,
                    inbox.IncomingActivity(
                        "https://a.example",
                        activity_id,
                        kind,
                        "https://a.example/actor",
                        None,
                        {"id": activity_id, "type": kind, "object": {"type": object_type}},
                    ),
                )
        worker = InboxWorker(pool, NodeContext(NodeUrls("https://mende.example.org")))
        assert await worker.run_batch() == 2
        async with pool.acquire() as connection:
            rows = await connection.fetch(
                "SELECT activity_id, state, attempts, last_error FROM inbox_activities "
                "ORDER BY activity_id"
            )
    finally:
        await pool.close()
    crashed, other = rows
    assert (crashed["state"], crashed["attempts"]) == ("pending", 1)
    assert "handler bug" in crashed["last_error"]
    assert other["state"] == "done"


class Recording:
    def __init__(self) -> None:
        self.seen: list[str] = []

    async def created(self, connection: Any, node: Any, activity: Any, document: Any) -> None:
        self.seen.append(activity.activity_id)

    async def updated(self, connection: Any, node: Any, activity: Any, document: Any) -> None:
        self.seen.append(activity.activity_id)

    async def deleted(self, *args: Any) -> None:
        return None


async def test_activities_without_effect_are_done_by_the_claim_and_reach_no_handler(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording = Recording()
    monkeypatch.setitem(objects.OBJECT_HANDLERS, "Probe", recording)
    received = {
        "https://a.example/note": ("Create", {"type": "Note"}),
        "https://a.example/like": ("Like", "https://b.example/x"),
        "https://a.example/by-id": ("Create", "https://a.example/probe/1"),
        "https://a.example/probe": ("Create", {"type": "Probe"}),
        "https://a.example/probe-update": ("Update", {"type": "Probe"}),
    }
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    try:
        async with pool.acquire() as connection:
            for activity_id, (kind, target) in received.items():
                await inbox.store_received(
                    connection,
                    inbox.IncomingActivity(
                        "https://a.example",
                        activity_id,
                        kind,
                        "https://a.example/actor",
                        None,
                        {"id": activity_id, "type": kind, "object": target},
                    ),
                )
        worker = InboxWorker(pool, NodeContext(NodeUrls("https://mende.example.org")))
        assert await worker.run_batch() == len(received)
        async with pool.acquire() as connection:
            states = {
                row["activity_id"]: (row["state"], row["lease_until"], row["processed_at"])
                for row in await connection.fetch(
                    "SELECT activity_id, state, lease_until, processed_at FROM inbox_activities"
                )
            }
    finally:
        await pool.close()
    assert sorted(recording.seen) == ["https://a.example/probe", "https://a.example/probe-update"]
    assert {state for state, _, _ in states.values()} == {"done"}
    assert all(lease is None and processed is not None for _, lease, processed in states.values())
