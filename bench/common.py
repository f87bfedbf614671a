"""What both benchmarks share: a throw-away database, a node in its own process, CPU accounting,
the RSA rates of the machine, and the output format (figures, then one JSON line).

The node runs in a child process, not in the benchmark's event loop: the load generator and the
simulated peers would otherwise steal the node's only Python thread, and the figures would
describe the benchmark instead of the node. What remains shared is the machine's cores, which is
why every phase reports the CPU each party used.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import ctypes
import gc
import io
import json
import multiprocessing
import os
import pstats
import socket
import sys
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import asyncpg
from aiohttp import web
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from federation.keys import generate_rsa_key, public_key_to_pem
from federation.signatures import Scheme, prepare_verification, signed_request_headers
from server.database import EmbeddedPostgres, with_database
from server.migrations import migrate
from server.node_setup import create_node_records, new_key_pairs, validate_setup
from server.passwords import hash_password

NODE_START_TIMEOUT = 60.0
NODE_STOP_TIMEOUT = 20.0
ACTIVITY_JSON = "application/activity+json"


# --- Output ---------------------------------------------------------------------------------


def say(text: str) -> None:
    """Progress and figures for a human; flushed so a slow phase shows where it is."""
    print(text, flush=True)


def emit_json(figures: Mapping[str, Any]) -> None:
    """The machine-readable result: always the last line of stdout."""
    print(json.dumps(figures, sort_keys=True), flush=True)


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def rounded(value: float, digits: int = 1) -> float:
    return round(value, digits)


def common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--crypto-seconds",
        type=float,
        default=0.5,
        help="duration of each of the four RSA rate measurements in the node process",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=170.0,
        help="hard limit for the whole run, in seconds",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run cProfile in the node during the timed phase and print the top functions "
        "(slows the node: figures of a profiled run are not comparable)",
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="node log level; logs go to a file, as `maillage serve` would write them",
    )


# --- Database --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchDatabase:
    dsn: str
    pgdata: Path | None  # set for the embedded server, so its processes can be accounted


@contextlib.asynccontextmanager
async def bench_database(workdir: Path) -> AsyncIterator[BenchDatabase]:
    """A fresh empty database: on DATABASE_URL's server if set, else an embedded PostgreSQL."""
    external = os.environ.get("DATABASE_URL")
    if external:
        async with external_database(external) as dsn:
            yield BenchDatabase(dsn, None)
        return
    # Under root, pgserver runs PostgreSQL as a `pgserver` user, which must be able to enter
    # the (private, 0700) temporary folder: let others traverse it, not list it.
    await asyncio.to_thread(workdir.chmod, 0o711)
    embedded = EmbeddedPostgres(workdir)
    target = await asyncio.to_thread(embedded.start)
    try:
        yield BenchDatabase(target.dsn, embedded.pgdata)
    finally:
        await asyncio.to_thread(embedded.stop)


@contextlib.asynccontextmanager
async def external_database(server_dsn: str) -> AsyncIterator[str]:
    name = f"maillage_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield with_database(server_dsn, name)
    finally:
        admin = await asyncpg.connect(server_dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def create_node_in(dsn: str, domain: str) -> None:
    """Schema, keys and node actors, as `maillage init` makes them."""
    connection = await asyncpg.connect(dsn)
    try:
        await migrate(connection)
        setup = validate_setup(domain, "Bench", "admin", "admin@example.org", "x" * 16)
        await create_node_records(
            connection, setup, hash_password(setup.admin_password), new_key_pairs(), force=False
        )
    finally:
        await connection.close()


# --- Network ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def serving(app: web.Application, ports: Sequence[int]) -> AsyncIterator[None]:
    """Serve `app` on every port of 127.0.0.1 given, without access logs (they cost CPU here)."""
    runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1)
    await runner.setup()
    try:
        for port in ports:
            site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024, reuse_address=True)
            await site.start()
        yield
    finally:
        await runner.cleanup()


# --- RSA rates -------------------------------------------------------------------------------


def rate_for(seconds: float, operation: Callable[[], object]) -> float:
    """Operations per second of `operation`, run back to back for about `seconds`."""
    done = 0
    start = time.perf_counter()
    while True:
        operation()
        done += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed


def crypto_rates(seconds: float) -> dict[str, float]:
    """RSA-2048 rates on one core: the raw primitive, and the project's whole signing and
    verification path (headers, digest, parsing, PEM loading) that the node actually runs."""
    key = generate_rsa_key()
    public = key.public_key()
    data = b"(request-target): post /inbox\nhost: bench.test\ndate: x\ndigest: SHA-256=y" * 2
    signature = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    body = b'{"type": "Create"}' * 30
    url = "http://bench.test:1/inbox"
    key_id = "http://peer.test/users/a#main-key"
    pem = public_key_to_pem(key)
    headers = signed_request_headers(Scheme.CAVAGE, "POST", url, body, key=key, key_id=key_id)

    def verify_path() -> object:
        pending = prepare_verification("POST", url, headers, body, now=datetime.now(UTC))
        return pending.finish(pem)

    return {
        "rsa_sign_per_s": rate_for(seconds, lambda: _raw_sign(key, data)),
        "rsa_verify_per_s": rate_for(seconds, lambda: _raw_verify(public, signature, data)),
        "signed_request_headers_per_s": rate_for(
            seconds,
            lambda: signed_request_headers(
                Scheme.CAVAGE, "POST", url, body, key=key, key_id=key_id
            ),
        ),
        "verify_path_per_s": rate_for(seconds, verify_path),
    }


def _raw_sign(key: rsa.RSAPrivateKey, data: bytes) -> bytes:
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def _raw_verify(public: rsa.RSAPublicKey, signature: bytes, data: bytes) -> None:
    public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())


def describe_rates(rates: Mapping[str, float]) -> str:
    return (
        f"RSA-2048 on one core of the node process: sign {rates['rsa_sign_per_s']:.0f}/s, "
        f"verify {rates['rsa_verify_per_s']:.0f}/s; whole path: signed_request_headers "
        f"{rates['signed_request_headers_per_s']:.0f}/s, prepare+finish verification "
        f"{rates['verify_path_per_s']:.0f}/s"
    )


# --- CPU accounting --------------------------------------------------------------------------


def process_cpu_seconds(pid: int) -> float | None:
    """User plus system CPU of a live process, from /proc (Linux); None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_pids(pgdata: Path | None) -> list[int]:
    """The postmaster of the embedded cluster and its children (backends, WAL writer...)."""
    if pgdata is None:
        return []
    try:
        postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return []
    found = [postmaster]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2 :].split()[1]) == postmaster:
            found.append(int(entry.name))
    return found


def machine_busy_seconds() -> float:
    """CPU seconds all processes of the machine spent busy (any user: other jobs count too)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


@dataclass
class CpuMeter:
    """CPU used by the node, PostgreSQL and this benchmark process over a window of time."""

    node_pids: list[int]
    pgdata: Path | None
    _start: dict[str, dict[int, float]] = field(default_factory=dict)
    _started_at: float = 0.0
    _machine_start: float = 0.0

    def snapshot(self) -> dict[str, dict[int, float]]:
        groups = {
            "node": self.node_pids,
            "postgres": postgres_pids(self.pgdata),
            "bench": [os.getpid()],
        }
        taken: dict[str, dict[int, float]] = {}
        for name, pids in groups.items():
            taken[name] = {}
            for pid in pids:
                seconds = process_cpu_seconds(pid)
                if seconds is not None:
                    taken[name][pid] = seconds
        return taken

    def start(self) -> None:
        self._start = self.snapshot()
        self._machine_start = machine_busy_seconds()
        self._started_at = time.perf_counter()

    def stop(self) -> dict[str, float | None]:
        """Percent of one core used by each group since `start` (200 is both cores here)."""
        end = self.snapshot()
        wall = max(time.perf_counter() - self._started_at, 1e-9)
        usage: dict[str, float | None] = {}
        for name, pids in end.items():
            if not pids:
                usage[name] = None
                continue
            before = self._start.get(name, {})
            used = sum(seconds - before.get(pid, 0.0) for pid, seconds in pids.items())
            usage[name] = rounded(100 * used / wall)
        # The whole machine, other users' jobs included: tells whether the cores were free.
        usage["machine"] = rounded(100 * (machine_busy_seconds() - self._machine_start) / wall)
        return usage


def describe_cpu(usage: Mapping[str, float | None]) -> str:
    cores = os.cpu_count() or 1
    parts = [
        f"{name} {value:.0f}%" if value is not None else f"{name} n/a"
        for name, value in usage.items()
    ]
    text = f"CPU (% of one core; {cores} cores = {cores * 100}%): " + ", ".join(parts)
    others = other_processes_percent(usage)
    if others > 25:
        text += f"\n  WARNING: other processes used {others:.0f}% of a core meanwhile: figures low"
    return text


def other_processes_percent(usage: Mapping[str, float | None]) -> float:
    """CPU the machine spent on processes that are not part of the benchmark."""
    ours = sum(value or 0.0 for name, value in usage.items() if name != "machine")
    return max(0.0, (usage.get("machine") or 0.0) - ours)


# --- The node process ------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeOptions:
    data_dir: str
    port: int
    settings: dict[str, Any]
    crypto_seconds: float
    log_path: str
    log_level: str
    profile_path: str | None


def node_main(options: NodeOptions, channel: Connection) -> None:
    """Entry point of the child process: log to a file, measure RSA, serve until told to stop."""
    log_file = open(options.log_path, "a", encoding="utf-8")  # noqa: SIM115 - lives with the process
    sys.stderr = log_file
    from server.logs import configure_logging

    # The same logging `maillage serve` sets up, so its cost (access log included) is counted.
    configure_logging("json", options.log_level)
    asyncio.run(serve_node(options, channel))


async def serve_node(options: NodeOptions, channel: Connection) -> None:
    from server.config import load_settings
    from server.runner import app_runner, bind_listening_socket

    # Zero: no measurement, for a benchmark of the node's own memory (a throwaway key and the
    # measuring code would be counted in it).
    rates = crypto_rates(options.crypto_seconds) if options.crypto_seconds > 0 else {}
    settings = load_settings(Path(options.data_dir), **options.settings)
    # Like `maillage serve`: a socket bound with a backlog of 1024, then the application.
    listening = bind_listening_socket("127.0.0.1", options.port)
    runner = app_runner(settings, shutdown_timeout=2)
    profiler: cProfile.Profile | None = None
    snapshots: list[tracemalloc.Snapshot] = []
    await runner.setup()
    try:
        await web.SockSite(runner, listening).start()
        channel.send(("ready", rates))
        while (command := await asyncio.to_thread(channel.recv)) != "stop":
            if command == "trim":
                channel.send(("trim", release_free_memory()))
            if command == "allocations":
                channel.send(("allocations", allocation_growth(snapshots)))
            if command == "profile" and options.profile_path and profiler is None:
                # Only the event loop's thread is profiled, which is where the node works. CPU
                # time, not wall time: on a busy machine, wall time would charge the time the
                # process waited for a core to whatever system call it was in.
                profiler = cProfile.Profile(time.process_time)
                profiler.enable()
    finally:
        if profiler is not None and options.profile_path:
            profiler.disable()
            profiler.dump_stats(options.profile_path)
        await runner.cleanup()
    channel.send(("stopped", None))


def allocation_growth(snapshots: list[tracemalloc.Snapshot], limit: int = 15) -> list[str]:
    """With PYTHONTRACEMALLOC set for the node: the lines whose live allocations grew most since
    the first call (which only takes the reference snapshot)."""
    if not tracemalloc.is_tracing():
        return ["tracemalloc is off: set PYTHONTRACEMALLOC=1"]
    gc.collect()
    snapshots.append(tracemalloc.take_snapshot())
    if len(snapshots) < 2:
        return []
    return [str(line) for line in snapshots[-1].compare_to(snapshots[0], "lineno")[:limit]]


def release_free_memory() -> bool:
    """glibc's malloc_trim(0): give the C heap's free pages back; False where unavailable."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        return False
    return True


class NodeProcess:
    """A node in a child process (spawned: no state inherited from the benchmark)."""

    def __init__(self, options: NodeOptions) -> None:
        self.options = options
        context = multiprocessing.get_context("spawn")
        self._channel, child_end = context.Pipe()
        self._process = context.Process(
            target=node_main, args=(options, child_end), name="maillage-bench-node", daemon=True
        )

    @property
    def pid(self) -> int:
        assert self._process.pid is not None
        return self._process.pid

    async def start(self) -> dict[str, float]:
        """Start the node; returns the RSA rates it measured before serving."""
        self._process.start()
        _, rates = await self._receive("ready", NODE_START_TIMEOUT)
        return dict(rates)

    async def allocation_growth(self) -> list[str]:
        self._channel.send("allocations")
        _, lines = await self._receive("allocations", NODE_STOP_TIMEOUT)
        return list(lines)

    async def release_free_memory(self) -> bool:
        self._channel.send("trim")
        _, done = await self._receive("trim", NODE_STOP_TIMEOUT)
        return bool(done)

    def start_profile(self) -> None:
        self._channel.send("profile")

    async def stop(self) -> None:
        if not self._process.is_alive():
            return
        self._channel.send("stop")
        try:
            await self._receive("stopped", NODE_STOP_TIMEOUT)
        except RuntimeError:
            self._process.terminate()
        await asyncio.to_thread(self._process.join, 5)
        if self._process.is_alive():
            self._process.kill()

    async def _receive(self, expected: str, timeout: float) -> tuple[str, Any]:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await asyncio.to_thread(self._channel.poll, 0.2):
                message: tuple[str, Any] = self._channel.recv()
                if message[0] == expected:
                    return message
            elif not self._process.is_alive():
                break
        raise RuntimeError(
            f"the node did not report {expected!r}; see its log: {self.options.log_path}"
        )


def tail_problems(log_path: str, limit: int = 5) -> list[str]:
    """The last warning or error lines of the node's log, to explain failed deliveries."""
    try:
        lines = Path(log_path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    problems = [line for line in lines if '"level": "warning"' in line or '"error"' in line]
    return problems[-limit:]


def top_functions(profile_path: str, limit: int = 25) -> str:
    """The functions with the most own time, then the most cumulative time."""
    output = io.StringIO()
    stats = pstats.Stats(profile_path, stream=output)
    stats.strip_dirs().sort_stats("tottime").print_stats(limit)
    stats.sort_stats("cumulative").print_stats(limit)
    return output.getvalue()


async def run_bounded(main: Callable[[], Any], time_limit: float) -> int:
    """Run `main` under the time limit; print an error JSON line if it fails, so the last line
    of stdout is always the result."""
    try:
        async with asyncio.timeout(time_limit):
            figures: dict[str, Any] = await main()
    except TimeoutError:
        emit_json({"error": f"time limit of {time_limit:g} s exceeded"})
        return 1
    except Exception as error:  # reported as the result, then a failure exit
        say(f"benchmark failed: {error!r}")
        emit_json({"error": repr(error)})
        return 1
    emit_json(figures)
    return 0
