"""Fuzzing a running node: its REST API from its own OpenAPI document, its inbox over raw HTTP.

    python -m bench.fuzz [--scale 10] [--seed 1]

Starts one node in a child process (on the embedded PostgreSQL, or DATABASE_URL) and a signing
peer it can fetch keys from, logs in as the administrator, reads the node's resident memory
when idle, then:

1. runs Schemathesis (`st run`) on `/api/openapi.json` with the administrator's token, every
   operation with `10 x scale` generated cases besides the coverage phase (and the stateful
   phase above scale 1),
   checking that no answer is a 5xx;
2. sends `300 x scale` hostile requests to the inbox over raw sockets (bench.fuzz_inbox): bad
   headers, content codings, chunking and framing, signed bodies with hostile values;

and reads the resident memory again once the node is idle. A 5xx, a request left hanging, or
an error or traceback in the node's log is a finding; the command exits non-zero with any.
`tests/test_fuzz_node.py` runs the same campaign at scale 1 (`MAILLAGE_FUZZ_SCALE` changes it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bench.common import (
    NodeOptions,
    NodeProcess,
    bench_database,
    create_node_in,
    emit_json,
    free_port,
    rounded,
    say,
    serving,
)
from bench.fuzz_inbox import Sender, hostile_request, send
from federation.keys import generate_rsa_key, public_key_to_pem

SCALE_VARIABLE = "MAILLAGE_FUZZ_SCALE"
SETTLE_SECONDS = 3.0
LINGER_SECONDS = 10.0
ANSWER_WITHIN = 10.0
PEER_HOST = "peer.test"
ADMIN_PASSWORD = "x" * 16  # bench.common.create_node_in's administrator


def fuzz_scale() -> float:
    """How much bigger than the CI run a fuzz run is (`MAILLAGE_FUZZ_SCALE`, default 1)."""
    return float(os.environ.get(SCALE_VARIABLE, "1"))


def fuzz_examples(base: int) -> int:
    return max(1, round(base * fuzz_scale()))


@dataclass
class FuzzReport:
    api_cases: int = 0
    api_summary: str = ""
    api_failures: list[str] = field(default_factory=list)
    inbox_statuses: Counter[str] = field(default_factory=Counter)
    inbox_failures: list[str] = field(default_factory=list)
    log_problems: list[str] = field(default_factory=list)
    idle_mb: float = 0.0
    after_api_mb: float = 0.0
    after_mb: float = 0.0
    trimmed_mb: float = 0.0  # after glibc's malloc_trim: what the C heap kept but did not use
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def findings(self) -> list[str]:
        return [*self.api_failures, *self.inbox_failures, *self.log_problems]


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS for the node process")


@contextlib.asynccontextmanager
async def signing_peer() -> AsyncIterator[Sender]:
    """A peer serving one actor with its key; the Sender still needs the node's address."""
    key = generate_rsa_key()
    port = free_port()
    actor = f"http://{PEER_HOST}:{port}/actor"
    document = {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": actor,
        "type": "Person",
        "preferredUsername": "fuzz",
        "inbox": f"{actor}/inbox",
        "publicKey": {"id": f"{actor}#key", "owner": actor, "publicKeyPem": public_key_to_pem(key)},
    }

    async def answer(request: web.Request) -> web.StreamResponse:
        if request.method == "POST":
            return web.Response(status=202)
        if request.path == "/actor":
            return web.json_response(document, content_type="application/activity+json")
        return web.json_response({"error": "not here"}, status=404)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    async with serving(app, [port]):
        yield Sender(actor, f"{actor}#key", key, "", "")


async def log_in(port: int) -> str:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"http://127.0.0.1:{port}/api/v1/auth/login",
            json={"username": "admin", "password": ADMIN_PASSWORD},
        ) as response,
    ):
        response.raise_for_status()
        token: str = (await response.json())["token"]
        return token


async def wait_ready(port: int) -> None:
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"http://127.0.0.1:{port}/readyz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise RuntimeError("the node did not become ready")


async def fuzz_api(
    port: int, token: str, scale: float, seed: int, workdir: Path, report: FuzzReport
) -> None:
    """Schemathesis's command line, the way its documentation runs it in CI."""
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"http://127.0.0.1:{port}/api/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "not_a_server_error",
        "--phases",
        # The coverage phase (boundary and wrong-typed values for every field) is fixed in
        # size; the fuzzing phase grows with the scale, and a long run adds the stateful one.
        "coverage,fuzzing" if scale <= 1 else "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(max(1, round(10 * scale))),
        "--seed",
        str(seed),
        "--workers",
        "2",
        "--request-timeout",
        str(ANSWER_WITHIN),
        "--no-shrink",
        # Neighbours, own follows and RSVPs name remote actors: the node would look them up
        # on the internet. Their bodies are fuzzed like any other by the same code path
        # (read_body) in the other routes; their targets by tests/test_api_neighbours.py. The
        # live stream never ends (Server-Sent Events): its filters are fuzzed by the query
        # guard of every route and tested in tests/test_live_stream.py.
        "--exclude-path-regex",
        "^/api/v1/(neighbours|me/follows|events/rsvp|stream)$",
    ]
    process = await asyncio.create_subprocess_exec(
        *command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false"},
        cwd=workdir,  # where it keeps its `.schemathesis` folder
    )
    output, _ = await process.communicate()
    text = output.decode("utf-8", "replace")
    report.api_cases = cases_in(text)
    report.api_summary = text[-3000:]
    if process.returncode != 0:
        report.api_failures.append(f"schemathesis exited {process.returncode}:\n{text[-6000:]}")


def cases_in(output: str) -> int:
    """The number of test cases Schemathesis reports (`2285 generated, 2285 passed`)."""
    for line in reversed(output.splitlines()):
        words = line.replace(",", " ").split()
        if len(words) >= 2 and words[0].isdigit() and words[1] == "generated":
            return int(words[0])
    return 0


async def fuzz_inbox(port: int, sender: Sender, count: int, seed: int, report: FuzzReport) -> None:
    rng = random.Random(seed)
    semaphore = asyncio.Semaphore(8)

    async def one(description: str, data: bytes, half_close: bool) -> None:
        async with semaphore:
            status = await send(port, data, half_close, ANSWER_WITHIN)
        if status is None:
            report.inbox_failures.append(f"no answer within {ANSWER_WITHIN:g} s: {description}")
        elif status >= 500:
            report.inbox_failures.append(f"{status}: {description}")
        report.inbox_statuses[str(status)] += 1

    await asyncio.gather(*(one(*hostile_request(rng, sender)) for _ in range(count)))


def log_problems(log_path: Path) -> list[str]:
    """Errors and tracebacks the node logged (JSON lines at level warning and above)."""
    text = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
    return [
        line[:2000]
        for line in text.splitlines()
        if '"level": "error"' in line or '"level": "critical"' in line or "Traceback" in line
    ]


async def run_campaign(
    dsn: str,
    workdir: Path,
    *,
    scale: float,
    seed: int,
    parts: tuple[str, ...] = ("api", "inbox"),
    note: Callable[[str], None] = say,
) -> FuzzReport:
    report = FuzzReport()
    async with signing_peer() as peer:
        port = free_port()
        domain = f"fuzz.test:{port}"
        await create_node_in(dsn, domain)
        sender = Sender(peer.actor, peer.key_id, peer.key, f"http://{domain}", domain)
        log_path = workdir / "node.log"
        node = NodeProcess(
            NodeOptions(
                data_dir=str(workdir / "node"),
                port=port,
                settings={
                    "domain": domain,
                    "place_name": "Fuzz",
                    "database_url": dsn,
                    "development": True,
                    "dev_hosts": {PEER_HOST: "127.0.0.1", "fuzz.test": "127.0.0.1"},
                    # The fuzz is one client: the limits would answer 429 to most of it.
                    "inbox_client_rate_per_second": 100_000,
                    "inbox_client_burst": 100_000,
                    "inbox_origin_rate_per_second": 100_000,
                    "inbox_origin_burst": 100_000,
                },
                crypto_seconds=0.05,
                log_path=str(log_path),
                log_level="warning",
                profile_path=None,
            )
        )
        await node.start()
        try:
            await wait_ready(port)
            token = await log_in(port)
            await asyncio.sleep(SETTLE_SECONDS)  # idle: the figure the issue compares with
            report.idle_mb = resident_mb(node.pid)
            await node.allocation_growth()  # the reference, when PYTHONTRACEMALLOC is set
            note(f"idle: {report.idle_mb:.1f} MB")
            started = time.perf_counter()
            if "api" in parts:
                await fuzz_api(port, token, scale, seed, workdir, report)
            report.seconds["api"] = time.perf_counter() - started
            note(report.api_summary)
            await asyncio.sleep(SETTLE_SECONDS)
            report.after_api_mb = resident_mb(node.pid)
            note(
                f"API: {report.api_cases} cases in {report.seconds['api']:.0f} s, then "
                f"{report.after_api_mb:.1f} MB"
            )
            started = time.perf_counter()
            if "inbox" in parts:
                await fuzz_inbox(port, sender, max(1, round(300 * scale)), seed, report)
            report.seconds["inbox"] = time.perf_counter() - started
            note(f"inbox: {dict(report.inbox_statuses)} in {report.seconds['inbox']:.0f} s")
            # aiohttp keeps a refused request's connection up to 10 s to drain its body (so
            # that the client reads the answer): the node is idle once those have closed.
            await asyncio.sleep(LINGER_SECONDS + SETTLE_SECONDS)
            report.after_mb = resident_mb(node.pid)
            note(f"after: {report.after_mb:.1f} MB")
            if await node.release_free_memory():
                report.trimmed_mb = resident_mb(node.pid)
                note(f"after malloc_trim: {report.trimmed_mb:.1f} MB")
            if os.environ.get("PYTHONTRACEMALLOC"):
                note("\n".join(["Python allocations grown most:", *await node.allocation_growth()]))
        finally:
            await node.stop()
        report.log_problems = log_problems(log_path)
    return report


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=fuzz_scale())
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--parts", default="api,inbox", help="what to fuzz, comma-separated: api, inbox"
    )
    return parser.parse_args()


def prepare(folder: Path) -> None:
    folder.chmod(0o711)  # the embedded PostgreSQL's user must be able to enter it
    (folder / "db").mkdir()


async def run(arguments: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="maillage-fuzz-") as name:
        folder = Path(name)
        await asyncio.to_thread(prepare, folder)
        async with bench_database(folder / "db") as database:
            report = await run_campaign(
                database.dsn,
                folder,
                scale=arguments.scale,
                seed=arguments.seed,
                parts=tuple(arguments.parts.split(",")),
            )
    for finding in report.findings:
        say(f"FINDING: {finding}")
    return {
        "benchmark": "fuzz",
        "scale": arguments.scale,
        "seed": arguments.seed,
        "api_cases": report.api_cases,
        "inbox_requests": sum(report.inbox_statuses.values()),
        "inbox_statuses": dict(sorted(report.inbox_statuses.items())),
        "findings": len(report.findings),
        "idle_mb": rounded(report.idle_mb),
        "after_api_mb": rounded(report.after_api_mb),
        "after_mb": rounded(report.after_mb),
        "growth_mb": rounded(report.after_mb - report.idle_mb),
        "after_trim_mb": rounded(report.trimmed_mb),
        "seconds": {part: rounded(value) for part, value in report.seconds.items()},
    }


def main() -> None:
    arguments = parse_arguments()
    figures = asyncio.run(run(arguments))
    emit_json(figures)
    raise SystemExit(1 if figures["findings"] else 0)


if __name__ == "__main__":
    main()
