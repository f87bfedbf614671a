"""What activity processing needs from the node, passed explicitly."""

from __future__ import annotations

from dataclasses import dataclass

from server.urls import NodeUrls


@dataclass(frozen=True)
class NodeContext:
    urls: NodeUrls
