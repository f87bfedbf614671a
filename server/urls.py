"""Where this node's documents live: one place builds every local URL, and parses them back."""

from __future__ import annotations

from dataclasses import dataclass

from federation.hosts import canonical_host


@dataclass(frozen=True)
class NodeUrls:
    base: str  # scheme://domain, no trailing slash

    @property
    def host(self) -> str:
        return canonical_host(self.base)

    def actor(self, name: str) -> str:
        return f"{self.base}/actors/{name}"

    def inbox(self, name: str) -> str:
        return f"{self.actor(name)}/inbox"

    def outbox(self, name: str) -> str:
        return f"{self.actor(name)}/outbox"

    def followers(self, name: str) -> str:
        return f"{self.actor(name)}/followers"

    def following(self, name: str) -> str:
        return f"{self.actor(name)}/following"

    def rsa_key_id(self, name: str) -> str:
        return f"{self.actor(name)}#main-key"

    def ed25519_key_id(self, name: str) -> str:
        return f"{self.actor(name)}#ed25519-key"

    @property
    def shared_inbox(self) -> str:
        return f"{self.base}/inbox"

    def activity(self, token: str) -> str:
        return f"{self.base}/activities/{token}"

    def object(self, kind: str, token: str) -> str:
        return f"{self.base}/{kind}/{token}"

    @property
    def trust_list(self) -> str:
        """The trust list this node publishes (FEDERATION.md, "Trust lists")."""
        return f"{self.base}/trust-list"

    def local_actor_name(self, uri: str) -> str | None:
        """The name of the local actor `uri` designates, or None if it is not one of ours."""
        prefix = f"{self.base}/actors/"
        if not uri.startswith(prefix):
            return None
        name = uri[len(prefix) :]
        return name if name and "/" not in name and "#" not in name and "?" not in name else None

    def is_local(self, uri: str) -> bool:
        return uri == self.base or uri.startswith(self.base + "/")
