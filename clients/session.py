"""Where the command line keeps the node URL and token after `maillage login`.

The file is written with mode 0600: the token is a password for 30 days. MAILLAGE_NODE_URL and
MAILLAGE_TOKEN, when set, win over the file (for scripts and CI).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path


class NotLoggedIn(Exception):
    """No node URL or token: the message says how to log in."""


@dataclass(frozen=True)
class Session:
    node_url: str
    token: str
    username: str | None = None


def session_file() -> Path:
    folder = os.environ.get("MAILLAGE_CONFIG_DIR") or Path.home() / ".config" / "maillage"
    return Path(folder) / "session.json"


def save_session(session: Session) -> Path:
    path = session_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(vars(session), file)
    return path


def load_session() -> Session:
    url = os.environ.get("MAILLAGE_NODE_URL")
    token = os.environ.get("MAILLAGE_TOKEN")
    if url and token:
        return Session(url, token)
    path = session_file()
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        return Session(str(stored["node_url"]), str(stored["token"]), stored.get("username"))
    except (OSError, ValueError, KeyError, TypeError):
        raise NotLoggedIn(
            "not logged in: run `maillage login --node URL --username NAME` "
            "(or set MAILLAGE_NODE_URL and MAILLAGE_TOKEN)"
        ) from None


def forget_session() -> bool:
    path = session_file()
    if path.exists():
        path.unlink()
        return True
    return False
