"""What activity processing needs from the node, passed explicitly."""

from __future__ import annotations

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
