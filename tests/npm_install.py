"""Installing an npm folder kept in the repository (tests/peers/...) into a cache outside it.

The folder is copied to `<cache>/<name>-<hash>` and `npm ci` runs there, once per content hash,
under a lock shared by concurrent pytest processes. node_modules never lands in the repository,
and a change to package.json, package-lock.json or the program gives a fresh install.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

# What decides whether a cached install is still good: the dependencies and the program.
HASHED_FILES = ("package-lock.json", "package.json", "peer.mjs")
COMPLETE_MARKER = ".maillage-install-complete"
NPM_CI_TIMEOUT = 240.0  # below pytest-timeout's 300 s, which also covers fixture setup
FEDIFY_PROBE = "node_modules/@fedify/fedify/package.json"


class FedifyUnavailable(Exception):
    """The peer cannot run on this machine; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def source_hash(source: Path) -> str:
    digest = hashlib.sha256()
    for name in HASHED_FILES:
        path = source / name
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
        digest.update(b"\0")
    return digest.hexdigest()


def cache_root() -> Path:
    """`$MAILLAGE_CACHE_DIR`, else `$XDG_CACHE_HOME/maillage` or `~/.cache/maillage`, else tmp."""
    explicit = os.environ.get("MAILLAGE_CACHE_DIR")
    candidates = [Path(explicit)] if explicit else []
    xdg = os.environ.get("XDG_CACHE_HOME")
    candidates.append((Path(xdg) if xdg else Path.home() / ".cache") / "maillage")
    candidates.append(Path(tempfile.gettempdir()) / f"maillage-cache-{os.getuid()}")
    for candidate in candidates:
        try:
            candidate.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(candidate, os.W_OK):
            return candidate
    raise FedifyUnavailable(f"no writable cache folder among {[str(c) for c in candidates]}")


def install_is_complete(folder: Path, digest: str, probe: str = FEDIFY_PROBE) -> bool:
    marker = folder / COMPLETE_MARKER
    return marker.is_file() and marker.read_text().strip() == digest and (folder / probe).exists()


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """An advisory lock across processes (two pytest runs, or xdist workers)."""
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _copy_sources(source: Path, target: Path) -> None:
    target.mkdir(parents=True)
    for entry in source.iterdir():
        if entry.name == "node_modules" or entry.name.endswith(".log") or not entry.is_file():
            continue
        # copyfile, not copy2: a read-only checkout must still give a removable copy.
        shutil.copyfile(entry, target / entry.name)


def install_peer(
    source: Path,
    root: Path,
    *,
    prefix: str = "fedify-peer",
    probe: str = FEDIFY_PROBE,
    timeout: float = NPM_CI_TIMEOUT,
) -> Path:
    """Copy `source` into `root/<prefix>-<hash>` and `npm ci` there, unless already done.

    `probe` is a path the finished install must hold. Raises FedifyUnavailable when npm ci fails.
    """
    digest = source_hash(source)
    folder = root / f"{prefix}-{digest[:16]}"
    if install_is_complete(folder, digest, probe):
        return folder
    with _exclusive(root / f"{prefix}-{digest[:16]}.lock"):
        if install_is_complete(folder, digest, probe):  # another process finished it meanwhile
            return folder
        staging = root / f"{prefix}-{digest[:16]}.partial-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)
        _copy_sources(source, staging)
        started = time.monotonic()
        try:
            result = subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund"],
                cwd=staging,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            shutil.rmtree(staging, ignore_errors=True)
            raise FedifyUnavailable(f"`npm ci` in a copy of {source} failed: {error}") from error
        elapsed = time.monotonic() - started
        if result.returncode != 0 or not (staging / probe).exists():
            shutil.rmtree(staging, ignore_errors=True)
            output = (result.stdout + result.stderr).strip()[-2000:]
            raise FedifyUnavailable(
                f"`npm ci` in a copy of {source} failed with status {result.returncode}"
                f" (or left no {probe}):\n{output}"
            )
        (staging / COMPLETE_MARKER).write_text(digest + "\n")
        (staging / ".maillage-npm-ci-seconds").write_text(f"{elapsed:.1f}\n")
        staging.rename(folder)
        return folder
