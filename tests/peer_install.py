"""Which Fedify peers the tests run, how each is installed, and what happens when one cannot be.

`tests/peers/fedify` is Fedify 1.x (it runs on the machine's Node 20+); `tests/peers/fedify-2x` is
Fedify 2.x, which needs Node 22: `tests/peers/node22` installs it from npm as the `node` package.
Without node or npm, or when `npm ci` fails, the tests that need a peer skip, unless CI=true: CI
must run the interop tests, so there they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NoReturn

import pytest

from tests.npm_install import FedifyUnavailable, cache_root, install_peer
from tests.support import REPO_ROOT

PEERS = REPO_ROOT / "tests" / "peers"
REQUIRED_FILES = ("package.json", "package-lock.json", "peer.mjs")


@dataclass(frozen=True)
class Generation:
    """One generation of Fedify: the peer's folder, and the Node runtime it needs from npm."""

    name: str
    source: Path
    runtime: Path | None  # an npm folder whose `node` package gives the Node to run it; None: PATH


GENERATIONS = (
    Generation("fedify1", PEERS / "fedify", None),
    Generation("fedify2", PEERS / "fedify-2x", PEERS / "node22"),
)
NODE_FROM_NPM = "node_modules/.bin/node"
NODE_MAJOR = "22"  # tests/peers/node22/package.json pins it


@dataclass(frozen=True)
class PeerInstall:
    """An installed peer: its folder (node_modules inside) and the `node` that runs it."""

    generation: str
    folder: Path
    node: str


# ---------------------------------------------------------------------------------------------
# Skip or fail: the decision, kept pure so that it can be unit-tested.


def ci_requires_interop(env: Mapping[str, str]) -> bool:
    """True when running under CI (CI=true), where the interop tests must not be skipped."""
    return env.get("CI", "").strip().lower() in {"true", "1"}


def unavailable_reason(
    *,
    which: Callable[[str], str | None] = shutil.which,
    source: Path = GENERATIONS[0].source,
) -> str | None:
    """Why the peer cannot be installed or run here, or None when the prerequisites are met."""
    if which("node") is None:
        return "the Fedify interop peer needs `node` on PATH (Node 20+), and it was not found"
    if which("npm") is None:
        return "the Fedify interop peer needs `npm` on PATH, and it was not found"
    if not source.is_dir():
        return f"the Fedify interop peer's folder {source} does not exist"
    missing = [name for name in REQUIRED_FILES if not (source / name).is_file()]
    if missing:
        return f"the Fedify interop peer's folder {source} lacks {', '.join(missing)}"
    return None


def decide(reason: str, env: Mapping[str, str]) -> tuple[Literal["skip", "fail"], str]:
    """Skip locally; fail under CI, which must run the interop tests."""
    if ci_requires_interop(env):
        return "fail", f"{reason} (CI=true: the Fedify interop tests must run in CI)"
    return "skip", reason


def skip_or_fail(reason: str, env: Mapping[str, str] | None = None) -> NoReturn:
    outcome, message = decide(reason, os.environ if env is None else env)
    if outcome == "fail":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


# ---------------------------------------------------------------------------------------------
# Installing: one `npm ci` per content hash (tests/npm_install.py), per generation.


def install_generation(generation: Generation, root: Path) -> PeerInstall:
    """The peer installed in `root`, with its Node runtime from npm when it needs one."""
    folder = install_peer(generation.source, root, prefix=f"{generation.name}-peer")
    node = "node"
    if generation.runtime is not None:
        runtime = install_peer(generation.runtime, root, prefix="node-runtime", probe=NODE_FROM_NPM)
        node = str(runtime / NODE_FROM_NPM)
        check_runtime(node, NODE_MAJOR)
    return PeerInstall(generation.name, folder, node)


def check_runtime(node: str, major: str) -> None:
    """The npm `node` package fetches the real binary in an install script; make sure it did."""
    try:
        result = subprocess.run(
            [node, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise FedifyUnavailable(f"the Node runtime from npm does not run: {error}") from error
    if result.returncode != 0 or not result.stdout.startswith(f"v{major}."):
        raise FedifyUnavailable(
            f"the Node runtime from npm ({node}) is not Node {major}: "
            f"{(result.stdout + result.stderr).strip()[:500]!r}"
        )


# Remembered for the process, so that several modules' fixtures check (and fail) only once.
_install_outcomes: dict[str, PeerInstall | str] = {}


def prepare_peer_install(generation: Generation = GENERATIONS[0]) -> PeerInstall:
    """The installed peer; skips the test (or fails it under CI=true) when impossible."""
    outcome = _install_outcomes.get(generation.name)
    if outcome is None:
        reason = unavailable_reason(source=generation.source)
        if reason is not None:
            outcome = reason
        else:
            try:
                outcome = install_generation(generation, cache_root())
            except FedifyUnavailable as error:
                outcome = error.reason
        _install_outcomes[generation.name] = outcome
    if isinstance(outcome, str):
        skip_or_fail(f"{generation.name}: {outcome}")
    return outcome
