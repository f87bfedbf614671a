"""What activity processing needs from the node, passed explicitly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from server.urls import NodeUrls

if TYPE_CHECKING:
    from federation.fetcher import SafeFetcher
    from server.processing.remote_actors import RemoteActorDirectory


@dataclass(frozen=True)
class NodeContext:
    urls: NodeUrls
    # Present in a running node; processing that fetches (backfill, objects named by id) needs
    # them, pure bookkeeping does not.
    fetcher: SafeFetcher | None = None
    actors: RemoteActorDirectory | None = None
    # The node's moderation: True for a canonical host whose content stays off the agenda,
    # directory and wall unless we follow its author (a `limit` domain policy).
    limits: Callable[[str], bool] = lambda _host: False
