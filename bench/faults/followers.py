"""Fake followers: one HTTP server per follower host, which can go down, come back, or answer
slowly, and which counts what each host received (first arrival time, and repeats)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from dataclasses import dataclass, field

from aiohttp import web

from bench.common import free_port


@dataclass
class Arrivals:
    """Create activities received, by (object id, follower host)."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    first_at: dict[tuple[str, str], float] = field(default_factory=dict)
    others: int = 0  # activities of other types (an Accept, say)

    def note(self, object_id: str, host: str) -> None:
        key = (object_id, host)
        self.counts[key] += 1
        self.first_at.setdefault(key, time.monotonic())


@dataclass
class FakeFollower:
    name: str
    arrivals: Arrivals
    port: int = field(default_factory=free_port)
    delay_seconds: float = 0.0  # a slow follower answers 202 after this long
    runner: web.AppRunner | None = None
    in_flight: int = 0  # requests being answered now
    peak_in_flight: int = 0  # the most at once since the last `reset_peak`
    answered_at: list[float] = field(default_factory=list)  # when each Create was answered

    @property
    def host(self) -> str:
        return f"{self.name}.test:{self.port}"

    @property
    def uri(self) -> str:
        return f"http://{self.host}/actor"

    @property
    def inbox(self) -> str:
        return f"http://{self.host}/inbox"

    async def receive(self, request: web.Request) -> web.Response:
        try:
            activity = json.loads(await request.read())
            kind = activity["type"]
            target = activity.get("object")
            object_id = target.get("id") if isinstance(target, dict) else target
        except (ValueError, KeyError, TypeError, AttributeError):
            return web.Response(status=400)
        if self.delay_seconds:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            try:
                await asyncio.sleep(self.delay_seconds)
            finally:
                self.in_flight -= 1
        if kind == "Create" and isinstance(object_id, str):
            self.arrivals.note(object_id, self.host)
            self.answered_at.append(time.monotonic())
        else:
            self.arrivals.others += 1
        return web.Response(status=202)

    def reset_peak(self) -> None:
        self.peak_in_flight = self.in_flight

    async def up(self) -> None:
        """Listen (again): the same port, so the node finds it where it was."""
        if self.runner is not None:
            return
        app = web.Application()
        app.router.add_post("/inbox", self.receive)
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=0.2)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port, reuse_address=True).start()
        self.runner = runner

    async def down(self) -> None:
        """Stop listening: the node's connections are refused, as for a host that is off."""
        if self.runner is not None:
            runner, self.runner = self.runner, None
            with contextlib.suppress(Exception):
                await runner.cleanup()


def make_followers(count: int, arrivals: Arrivals, prefix: str = "f") -> list[FakeFollower]:
    return [FakeFollower(f"{prefix}{index + 1}", arrivals) for index in range(count)]
