"""Helpers shared by the tests: waiting on conditions with a deadline, free ports, subprocesses."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parents[1]
# Interop material kept in the repository: other servers' documents and standards' vectors.
INTEROP = REPO_ROOT / "tests" / "fixtures" / "interop"


async def wait_until(
    probe: Callable[[], Awaitable[T | None]], *, within: float = 20.0, what: str = "condition"
) -> T:
    """Poll `probe` until it returns something truthy, or fail after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = await probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what}")
        await asyncio.sleep(0.05)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def maillage_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "maillage", *args]


def run_maillage(
    *args: str, env: dict[str, str], input_text: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        maillage_command(*args),
        env={**os.environ, **env},
        input=input_text,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


async def run_maillage_async(
    *args: str, env: dict[str, str], within: float = 120
) -> subprocess.CompletedProcess[str]:
    """Like run_maillage, without blocking the event loop (for nodes running in this process)."""
    process = await asyncio.create_subprocess_exec(
        *maillage_command(*args),
        env={**os.environ, **env},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), within)
    assert process.returncode is not None
    return subprocess.CompletedProcess(
        list(args), process.returncode, stdout.decode(), stderr.decode()
    )
