"""A pytest harness for the independent Fedify peers in `tests/peers/`, two generations of Fedify.

Each peer is a small Node program (`peer.mjs`): a strict, independent ActivityPub server with a JSON
control API (see the top of peer.mjs). This module starts peers as subprocesses on free loopback
ports, wraps the control API in async methods, and offers the fixtures `fedify_install` (session,
parametrised over both generations, so every test that uses a peer runs with each; installing is
tests/peer_install.py's), `fedify_peer_factory` (per test) and `peer_mode` (each first-knock
signature scheme, and the secure mode). Test modules bind the fixtures, where pytest finds them (an
import would trip ruff's F811 on every test that takes one):

    fedify_install = fedify_peer.fedify_install
    fedify_peer_factory = fedify_peer.fedify_peer_factory

    async def test_something(fedify_peer_factory: FedifyPeerFactory) -> None:
        bob = await fedify_peer_factory(name="bob", spec="rfc9421", secure=True)
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import aiohttp
import pytest
import pytest_asyncio

from tests.npm_install import FedifyUnavailable, install_peer
from tests.peer_install import (
    GENERATIONS,
    Generation,
    PeerInstall,
    decide,
    prepare_peer_install,
    skip_or_fail,
    unavailable_reason,
)
from tests.support import free_port

START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0
CONTROL_TIMEOUT = 30.0
SPECS = ("rfc9421", "draft-cavage-http-signatures-12")

Json = Any
Entry = dict[str, Any]

# Re-exported for the harness tests (tests/test_fedify_harness.py).
__all__ = ["FedifyUnavailable", "decide", "install_peer", "skip_or_fail", "unavailable_reason"]


class FedifyPeerError(Exception):
    """The peer's control API answered with a non-2xx status."""

    def __init__(self, peer: str, method: str, path: str, status: int, body: str) -> None:
        super().__init__(f"fedify peer {peer}: {method} {path} answered {status}: {body}")
        self.status = status
        self.body = body


# ---------------------------------------------------------------------------------------------
# A running peer.


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: SIGTERM the peer if the test process dies without stopping it."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def _tail(path: Path, limit: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-limit:]
    except OSError:
        return "<no log>"


class FedifyPeer:
    """One `node peer.mjs` on a free loopback port, with its control API as async methods."""

    def __init__(
        self,
        install: PeerInstall,
        *,
        name: str = "alice",
        spec: str = "rfc9421",
        secure: bool = False,
        log_dir: Path | None = None,
    ) -> None:
        if spec not in SPECS:
            raise ValueError(f"spec must be one of {SPECS}, not {spec!r}")
        self.install = install
        self.name = name
        self.spec = spec
        self.secure = secure
        self.log_dir = log_dir if log_dir is not None else Path(tempfile.mkdtemp(prefix="fedify-"))
        self.log_path = self.log_dir / f"fedify-{name}.log"
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._actor_id: str | None = None

    # -- identity --------------------------------------------------------------------------

    @property
    def origin(self) -> str:
        if not self.port:
            raise RuntimeError(f"fedify peer {self.name} is not started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def actor_id(self) -> str:
        return self._actor_id or f"{self.origin}/users/{self.name}"

    @property
    def handle(self) -> str:
        """The WebFinger handle, `acct:NAME@127.0.0.1:PORT`."""
        return f"acct:{self.name}@127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def generation(self) -> str:
        return self.install.generation

    def __repr__(self) -> str:
        return (
            f"<FedifyPeer {self.generation} {self.name} port={self.port} spec={self.spec}"
            f" secure={self.secure}>"
        )

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self, *, within: float = START_TIMEOUT, attempts: int = 3) -> FedifyPeer:
        """Spawn the peer and wait until /_peer/health answers; retries when the port was taken."""
        if self._process is not None:
            raise RuntimeError(f"{self!r} already started")
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=CONTROL_TIMEOUT))
        try:
            for attempt in range(1, attempts + 1):
                self._spawn(free_port())
                if await self._wait_healthy(within):
                    return self
                # Exited before answering: maybe the free port was taken meanwhile (EADDRINUSE).
                log = _tail(self.log_path)
                await self._reap()
                if "EADDRINUSE" not in log or attempt == attempts:
                    raise RuntimeError(
                        f"fedify peer {self.name} exited before answering; log {self.log_path}:\n"
                        f"{log}"
                    )
        except BaseException:
            await self.stop()
            raise
        raise AssertionError("unreachable")

    def _spawn(self, port: int) -> None:
        self.port = port
        env = {**os.environ, "PORT": str(port), "NAME": self.name, "SPEC": self.spec}
        env.pop("SECURE", None)
        if self.secure:
            env["SECURE"] = "1"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(
                f"--- {self.install.node} peer.mjs ({self.generation}) NAME={self.name}"
                f" PORT={port} SPEC={self.spec}"
                f" SECURE={int(self.secure)}\n".encode()
            )
            log.flush()
            # The child keeps its own copy of the descriptor; ours closes at the end of `with`.
            self._process = subprocess.Popen(
                [self.install.node, "peer.mjs"],
                cwd=self.install.folder,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )

    async def _wait_healthy(self, within: float) -> bool:
        """True once health answers; False if the process exited; AssertionError on timeout."""
        assert self._session is not None
        assert self._process is not None
        deadline = time.monotonic() + within
        url = f"{self.origin}/_peer/health"
        while True:
            if self._process.poll() is not None:
                return False
            with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                async with self._session.get(url, timeout=aiohttp.ClientTimeout(total=2)) as reply:
                    if reply.status == 200:
                        body = await reply.json()
                        self._actor_id = str(body["actor"])
                        return True
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"fedify peer {self.name} did not answer {url} within {within} s; "
                    f"log {self.log_path}:\n{_tail(self.log_path)}"
                )
            await asyncio.sleep(0.05)

    async def _reap(self) -> None:
        """Terminate (then kill) the process and wait for it, without blocking the loop."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            try:
                await asyncio.to_thread(process.wait, STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
        await asyncio.to_thread(process.wait)

    async def stop(self) -> None:
        try:
            await self._reap()
        finally:
            session, self._session = self._session, None
            if session is not None:
                await session.close()

    async def __aenter__(self) -> FedifyPeer:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- control API -------------------------------------------------------------------------

    async def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Json:
        if self._session is None:
            raise RuntimeError(f"{self!r} is not started")
        url = f"{self.origin}{path}"
        async with self._session.request(method, url, json=body) as reply:
            text = await reply.text()
            if not 200 <= reply.status < 300:
                raise FedifyPeerError(self.name, method, path, reply.status, text)
            return json.loads(text) if text else None

    async def health(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", "/_peer/health")
        return result

    async def follow(self, target: str) -> dict[str, Any]:
        """Follow `acct:user@host:port` or an actor id."""
        result: dict[str, Any] = await self._call("POST", "/_peer/follow", {"target": target})
        return result

    async def unfollow(self, target: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("POST", "/_peer/unfollow", {"target": target})
        return result

    async def publish(self, **fields: Any) -> dict[str, Any]:
        """type="Note"|"Event", content, name, startTime, endTime, location={...}, to=<actor id>.

        Returns {"id": <object id>, "activity": <Create id>}.
        """
        result: dict[str, Any] = await self._call("POST", "/_peer/publish", fields)
        return result

    async def update(self, id: str, **fields: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("POST", "/_peer/update", {**fields, "id": id})
        return result

    async def delete(self, id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("POST", "/_peer/delete", {"id": id})
        return result

    async def join(self, object_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("POST", "/_peer/join", {"object": object_id})
        return result

    async def leave(self, object_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("POST", "/_peer/leave", {"object": object_id})
        return result

    async def lookup(self, target: str) -> dict[str, Any]:
        """{"found": bool, "object": <JSON-LD>} after WebFinger and a signed GET."""
        result: dict[str, Any] = await self._call("POST", "/_peer/lookup", {"target": target})
        return result

    async def fetch(self, url: str) -> Json:
        """The raw document of a signed GET."""
        return await self._call("POST", "/_peer/fetch", {"url": url})

    async def log(self) -> list[Entry]:
        """Every verified activity that reached its inboxes: {type, id, actor, json, at}."""
        result: list[Entry] = await self._call("GET", "/_peer/log")
        return result

    async def access(self) -> list[Entry]:
        """Requests to its ActivityPub routes: {path, sig, status}, and `method` (Fedify 2 peer
        logs GETs too; the Fedify 1 peer logs only POSTs to its inboxes)."""
        result: list[Entry] = await self._call("GET", "/_peer/access")
        return result

    async def inbox_posts(self) -> list[Entry]:
        """The POSTs to its inboxes: {path, sig, status}."""
        return [hit for hit in await self.access() if hit.get("method", "POST") == "POST"]

    async def wait_for_activity(
        self, predicate: Callable[[Entry], bool], within: float = 20.0, what: str | None = None
    ) -> Entry:
        """Poll the log until an entry matches `predicate`; AssertionError after `within` s."""
        deadline = time.monotonic() + within
        while True:
            entries = await self.log()
            for entry in entries:
                if predicate(entry):
                    return entry
            if time.monotonic() > deadline:
                described = what or getattr(predicate, "__name__", repr(predicate))
                seen = [(entry.get("type"), entry.get("actor")) for entry in entries]
                raise AssertionError(
                    f"timed out after {within} s waiting for {described} in fedify peer "
                    f"{self.name}'s log; it holds {seen}; peer log {self.log_path}"
                )
            await asyncio.sleep(0.05)


def activity(type_: str, *, actor: str | None = None) -> Callable[[Entry], bool]:
    """A predicate for wait_for_activity: an entry of this type (and actor, when given)."""

    def matches(entry: Entry) -> bool:
        return entry.get("type") == type_ and (actor is None or entry.get("actor") == actor)

    matches.__name__ = f"{type_} from {actor}" if actor else type_
    return matches


# ---------------------------------------------------------------------------------------------
# Fixtures.


@dataclass(frozen=True)
class PeerMode:
    """How a peer is started: the signature scheme it tries first, and authorized fetch."""

    spec: str
    secure: bool


# The modes every interop scenario runs in: each first knock, and the secure mode (SECURE=1: its
# objects answer only signed GETs).
PEER_MODES = {
    "rfc9421-first": PeerMode("rfc9421", secure=False),
    "cavage-first": PeerMode("draft-cavage-http-signatures-12", secure=False),
    "secure": PeerMode("rfc9421", secure=True),
}


@pytest.fixture(params=list(PEER_MODES.values()), ids=list(PEER_MODES))
def peer_mode(request: pytest.FixtureRequest) -> PeerMode:
    """Each of PEER_MODES in turn, for a test that starts its peers with it."""
    mode: PeerMode = request.param
    return mode


class FedifyPeerFactory(Protocol):
    def __call__(
        self, *, name: str = ..., spec: str = ..., secure: bool = ...
    ) -> Awaitable[FedifyPeer]: ...


@dataclass
class _Factory:
    install: PeerInstall
    log_dir: Path
    peers: list[FedifyPeer]

    async def __call__(
        self, *, name: str = "alice", spec: str = "rfc9421", secure: bool = False
    ) -> FedifyPeer:
        peer = FedifyPeer(self.install, name=name, spec=spec, secure=secure, log_dir=self.log_dir)
        self.peers.append(peer)
        await peer.start()
        print(f"fedify peer {name}: {peer.actor_id} (log {peer.log_path})")
        return peer


@pytest.fixture(
    scope="session", params=GENERATIONS, ids=[generation.name for generation in GENERATIONS]
)
def fedify_install(request: pytest.FixtureRequest) -> PeerInstall:
    """One installed generation of the peer (npm ci once per hash); every test using it runs
    with each generation. Skips, or fails under CI=true, if impossible."""
    generation: Generation = request.param
    return prepare_peer_install(generation)


@pytest_asyncio.fixture(loop_scope="session")
async def fedify_peer_factory(
    fedify_install: PeerInstall, tmp_path: Path
) -> AsyncIterator[FedifyPeerFactory]:
    """`await fedify_peer_factory(name="alice", spec="rfc9421", secure=False)`; stopped after."""
    factory = _Factory(fedify_install, tmp_path, [])
    try:
        yield factory
    finally:
        await asyncio.gather(*(peer.stop() for peer in factory.peers), return_exceptions=True)
