"""The inbox worker: a handler that crashes leaves its activity to retry while the rest go on,
and what no handler acts on is done by the claim itself."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from server.processing import objects
from server.processing.context import NodeContext
from server.processing.objects import NothingImported
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


class Recording:
    def __init__(self) -> None:
        self.seen: list[str] = []

    async def created(
        self, connection: Any, node: Any, activity: Any, document: Any
    ) -> NothingImported:
        self.seen.append(activity.activity_id)
        return NothingImported("recorded")

    async def updated(
        self, connection: Any, node: Any, activity: Any, document: Any
    ) -> NothingImported:
        self.seen.append(activity.activity_id)
        return NothingImported("recorded")

    async def deleted(self, *args: Any) -> NothingImported:
        return NothingImported("recorded")


async def received(pool: asyncpg.Pool, activities: dict[str, tuple[str, Any]]) -> None:
    """Store {activity id: (type, object)} as the inbox would, from one remote actor."""
    async with pool.acquire() as connection:
        await inbox.store_received_many(
            connection,
            [
                inbox.IncomingActivity(
                    "https://a.example",
                    activity_id,
                    kind,
                    "https://a.example/actor",
                    None,
                    {"id": activity_id, "type": kind, "object": target},
                )
                for activity_id, (kind, target) in activities.items()
            ],
        )


def worker(pool: asyncpg.Pool) -> InboxWorker:
    return InboxWorker(pool, NodeContext(NodeUrls("https://mende.example.org")))


async def test_a_crashing_handler_leaves_its_activity_pending_and_the_others_done(
    pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(objects.OBJECT_HANDLERS, "Boom", Exploding())
    await received(
        pool,
        {
            "https://a.example/1": ("Create", {"type": "Boom"}),
            "https://a.example/2": ("Undo", {"type": "Follow"}),
        },
    )
    assert await worker(pool).run_batch() == 2
    async with pool.acquire() as connection:
        crashed, other = await connection.fetch(
            "SELECT activity_id, state, attempts, last_error FROM inbox_activities "
            "ORDER BY activity_id"
        )
    assert (crashed["state"], crashed["attempts"]) == ("pending", 1)
    assert "handler bug" in crashed["last_error"]
    assert other["state"] == "done"


async def test_activities_without_effect_are_done_by_the_claim_and_reach_no_handler(
    pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording = Recording()
    monkeypatch.setitem(objects.OBJECT_HANDLERS, "Probe", recording)
    activities = {
        "https://a.example/note": ("Create", {"type": "Note"}),
        "https://a.example/like": ("Like", "https://b.example/x"),
        "https://a.example/by-id": ("Create", "https://a.example/probe/1"),
        "https://a.example/probe": ("Create", {"type": "Probe"}),
        "https://a.example/probe-update": ("Update", {"type": "Probe"}),
    }
    await received(pool, activities)
    assert await worker(pool).run_batch() == len(activities)
    async with pool.acquire() as connection:
        rows = await connection.fetch(
            "SELECT state, lease_until, processed_at FROM inbox_activities"
        )
    assert sorted(recording.seen) == ["https://a.example/probe", "https://a.example/probe-update"]
    assert len(rows) == len(activities)
    assert {row["state"] for row in rows} == {"done"}
    assert all(row["lease_until"] is None and row["processed_at"] is not None for row in rows)


class Hanging:
    """A handler stuck (as on a slow remote fetch) until the test ends it."""

    def __init__(self) -> None:
        self.started = asyncio.Event()

    async def created(self, *args: Any) -> None:
        self.started.set()
        await asyncio.Event().wait()

    async def updated(self, *args: Any) -> None:
        return None

    async def deleted(self, *args: Any) -> None:
        return None


async def test_a_batch_cut_short_gives_its_activities_back(
    pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    hanging = Hanging()
    monkeypatch.setitem(objects.OBJECT_HANDLERS, "Slow", hanging)
    await received(pool, {"https://a.example/1": ("Create", {"type": "Slow"})})
    batch = asyncio.create_task(worker(pool).run_batch())
    await asyncio.wait_for(hanging.started.wait(), 20)
    batch.cancel()  # what the supervisor does to a worker still busy after the stop timeout
    with pytest.raises(asyncio.CancelledError):
        await batch
    row = await pool.fetchrow("SELECT state, attempts, lease_until FROM inbox_activities")
    assert row is not None
    assert (row["state"], row["attempts"], row["lease_until"]) == ("pending", 0, None)
