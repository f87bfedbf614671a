"""Signing what this node sends: deliveries as the publishing actor, fetches as the node itself."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import asyncpg

from federation.keys import PrivateKey, private_key_from_pem
from federation.signatures import Scheme, signed_request_headers
from server.storage import keys
from server.storage.local_actors import APPLICATION
from server.urls import NodeUrls

# RSA signing (about 0.7 ms for a 2048-bit key) releases the GIL: deliveries are signed on these
# threads, so a second core signs while the event loop goes on sending and receiving.
SIGNING_THREADS = 2
_signing_pool = ThreadPoolExecutor(SIGNING_THREADS, thread_name_prefix="maillage-sign")


@dataclass
class RequestSigner:
    pool: asyncpg.Pool
    urls: NodeUrls
    _rsa_keys: dict[str, PrivateKey] = field(default_factory=dict)
    _loading: dict[str, asyncio.Future[PrivateKey]] = field(default_factory=dict)

    async def load(self) -> None:
        """Read the node actor's key now, so signed GETs need no database round trip."""
        await self.rsa_key(APPLICATION)

    async def rsa_key(self, actor_name: str) -> PrivateKey:
        """The actor's RSA key, read once: concurrent first uses share one load (single-flight),
        instead of a batch of deliveries each reading and parsing the same PEM."""
        cached = self._rsa_keys.get(actor_name)
        if cached is not None:
            return cached
        loading = self._loading.get(actor_name)
        if loading is None:
            loading = asyncio.ensure_future(self._load_rsa_key(actor_name))
            self._loading[actor_name] = loading
            loading.add_done_callback(lambda _: self._loading.pop(actor_name, None))
        return await asyncio.shield(loading)

    async def _load_rsa_key(self, actor_name: str) -> PrivateKey:
        async with self.pool.acquire() as connection:
            pairs = await keys.key_pairs_of(connection, actor_name)
        for pair in pairs:
            if pair.algorithm == "rsa-2048":
                key = private_key_from_pem(pair.private_pem, ours=True)
                self._rsa_keys[actor_name] = key
                return key
        raise LookupError(f"local actor {actor_name!r} has no RSA key")

    async def sign_post(
        self, actor_name: str, url: str, body: bytes, scheme: str
    ) -> dict[str, str]:
        key = await self.rsa_key(actor_name)
        headers = await asyncio.get_running_loop().run_in_executor(
            _signing_pool,
            lambda: signed_request_headers(
                Scheme(scheme),
                "POST",
                url,
                body,
                key=key,
                key_id=self.urls.rsa_key_id(actor_name),
                headers={"Content-Type": "application/activity+json"},
            ),
        )
        return {"Content-Type": "application/activity+json", **headers}

    def sign_get(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> Mapping[str, str]:
        """Sign a fetch as the node's Application actor (FEP-2677), for authorized-fetch peers."""
        return signed_request_headers(
            Scheme.CAVAGE,
            method,
            url,
            body or b"",
            key=self._rsa_keys[APPLICATION],
            key_id=self.urls.rsa_key_id(APPLICATION),
            headers=headers,
        )
