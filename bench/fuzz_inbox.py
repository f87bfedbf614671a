"""Hostile HTTP requests to an inbox, built byte by byte: headers, codings, framing, bodies.

`hostile_request(rng, ...)` draws one request from a seeded generator: mostly a correctly signed
activity (so that it reaches the parser and the storage, not only the signature check) with one
to three mutations. Each is sent on its own connection; the answer must be a status below 500,
or a closed connection for framing no HTTP parser accepts, and it must come at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import rsa

from federation.signatures import Scheme, signed_request_headers

Headers = list[tuple[str, str]]


@dataclass
class Draft:
    """One request being built: the mutations change it before it is framed."""

    path: str
    headers: Headers
    body: bytes
    raw_headers: bytes = b""
    chunked: bytes | None = None  # the body framed as chunks, if it is sent chunked
    content_length: int | None = None  # a declared length other than the body's
    half_close: bool = False  # end the sending side after writing (a short body)


@dataclass(frozen=True)
class Sender:
    """The signing peer: its actor id, key id and key, and the node's public base URL."""

    actor: str
    key_id: str
    key: rsa.RSAPrivateKey
    node_base: str
    node_host: str

    def activity(self, rng: random.Random, extra: dict[str, object]) -> dict[str, object]:
        serial = rng.randrange(10**12)
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{self.actor}/activities/{serial}",
            "type": rng.choice(["Follow", "Create", "Update", "Announce", "Like", "Delete"]),
            "actor": self.actor,
            "object": {
                "id": f"{self.actor}/objects/{serial}",
                "type": rng.choice(["Note", "Event", "Person", "Place"]),
                "attributedTo": self.actor,
                "name": "fuzz",
            },
            **extra,
        }

    def signed(self, path: str, body: bytes, rng: random.Random) -> Headers:
        scheme = rng.choice([Scheme.CAVAGE, Scheme.RFC9421])
        headers = signed_request_headers(
            scheme, "POST", self.node_base + path, body, key=self.key, key_id=self.key_id
        )
        return [("Content-Type", "application/activity+json"), *headers.items()]


# Values inside an otherwise valid activity, written as raw JSON text.
HOSTILE_VALUES = [
    "9" * 5000,
    "-" + "1" * 4400,
    '"a\\u0000b"',
    '"\\ud800"',
    '"\\udfff\\ud800"',
    "1e999",
    "NaN",
    "-Infinity",
    '"' + "x" * 300_000 + '"',
    "[" * 2000 + "]" * 2000,
    '{"@graph": []}',
    '{"a": 1, "a": 2}',
    "[" + ",".join(["{}"] * 12_000) + "]",
    '"\\u202e\\ufeff"',
    "12345678901234567890123",
]
CONTENT_TYPES = [
    "text/plain",
    "image/png",
    "application/x-www-form-urlencoded",
    "application/ld+json",
    'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
    "application/json",
    "application/activity+json; charset=utf-16",
    "application/activity+json; charset=UTF-8",
    "",
    "multipart/form-data; boundary=x",
]
PATHS = ["/inbox", "/actors/place/inbox", "/actors/nobody/inbox", "/actors/%00/inbox"]


def with_value(draft: Draft, rng: random.Random, sender: Sender) -> None:
    value = rng.choice(HOSTILE_VALUES)
    text = json.dumps(sender.activity(rng, {}))
    key = rng.choice(["summary", "tag", "to", "x"])
    draft.body = (text[:-1] + f', "{key}": {value}}}').encode()
    draft.headers = sender.signed(draft.path, draft.body, rng)


def in_encoding(draft: Draft, rng: random.Random, sender: Sender) -> None:
    text = draft.body.decode("utf-8", "replace")
    draft.body = rng.choice(
        [
            lambda: text.encode("utf-16"),
            lambda: text.encode("utf-16-le"),
            lambda: text.encode("utf-32"),
            lambda: b"\xef\xbb\xbf" + draft.body,
            lambda: draft.body.replace(b"fuzz", b"f\xffzz"),
        ]
    )()
    draft.headers = sender.signed(draft.path, draft.body, rng)


def coded(draft: Draft, rng: random.Random, sender: Sender) -> None:
    coding, body = rng.choice(
        [
            ("gzip", gzip.compress(draft.body)),
            ("deflate", zlib.compress(draft.body)),
            ("gzip", b"not gzip at all"),
            ("deflate", b"\x00\x01\x02 not deflate"),
            ("gzip", gzip.compress(draft.body)[:-9]),
            ("br", draft.body),
            ("zstd", draft.body),
            ("gzip, gzip", draft.body),
        ]
    )
    draft.body = body
    draft.headers = [*sender.signed(draft.path, body, rng), ("Content-Encoding", coding)]


def relabelled(draft: Draft, rng: random.Random, sender: Sender) -> None:
    others = [(n, v) for n, v in draft.headers if n.lower() != "content-type"]
    draft.headers = [*others, ("Content-Type", rng.choice(CONTENT_TYPES))]


def broken_header(draft: Draft, rng: random.Random, sender: Sender) -> None:
    name = rng.choice(["Signature", "Signature-Input", "Date", "Digest", "Host", "User-Agent"])
    value = rng.choice(
        [
            b"\xff\xfe\xfd",
            b'keyId="\xc3\x28"',
            b"x" * 9000,
            b"=:" + bytes(rng.randrange(256) for _ in range(40)) + b":",
            b"",
        ]
    )
    draft.headers = [(n, v) for n, v in draft.headers if n.lower() != name.lower()]
    draft.raw_headers += name.encode() + b": " + value + b"\r\n"


def dropped_header(draft: Draft, rng: random.Random, sender: Sender) -> None:
    names = sorted({name for name, _ in draft.headers})
    gone = rng.choice(names)
    draft.headers = [(n, v) for n, v in draft.headers if n != gone]


def duplicated_header(draft: Draft, rng: random.Random, sender: Sender) -> None:
    draft.headers = [*draft.headers, rng.choice(draft.headers)]


def chunked(draft: Draft, rng: random.Random, sender: Sender) -> None:
    body = draft.body
    draft.chunked = rng.choice(
        [
            f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n",
            b"FFFFFFFFFFFF\r\n" + body[:10],
            b"7fffffffffffffff\r\n" + body[:10],
            b"zz\r\n" + body + b"\r\n0\r\n\r\n",
            f"{len(body):x};ext=1\r\n".encode() + body + b"\r\n0\r\n\r\n",
        ]
    )


def misframed(draft: Draft, rng: random.Random, sender: Sender) -> None:
    kind = rng.choice(["short", "long", "negative", "huge"])
    if kind == "short":
        draft.content_length = max(0, len(draft.body) - rng.randrange(1, 20))
    elif kind == "long":  # the sender then stops writing: the node sees the end of the stream
        draft.content_length = len(draft.body) + rng.randrange(1, 1000)
        draft.half_close = True
    elif kind == "negative":
        draft.content_length = -1
    else:
        draft.content_length = 10**15


def elsewhere(draft: Draft, rng: random.Random, sender: Sender) -> None:
    draft.path = rng.choice(PATHS) + rng.choice(["", "?q=%00", "?a=%ff", "/", "?x=1"])
    draft.headers = sender.signed(draft.path, draft.body, rng)


def random_bytes(draft: Draft, rng: random.Random, sender: Sender) -> None:
    draft.body = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 400)))
    draft.headers = sender.signed(draft.path, draft.body, rng)


Mutation = Callable[[Draft, random.Random, Sender], None]
# Body mutations first, so that the framing and header ones apply to the final body.
BODY_MUTATIONS: list[Mutation] = [with_value, in_encoding, random_bytes, elsewhere]
WIRE_MUTATIONS: list[Mutation] = [
    coded,
    relabelled,
    broken_header,
    dropped_header,
    duplicated_header,
    chunked,
    misframed,
]


def hostile_request(rng: random.Random, sender: Sender) -> tuple[str, bytes, bool]:
    """A description, the request's bytes, and whether to half-close after sending them."""
    path = rng.choice(PATHS[:2])
    body = json.dumps(sender.activity(rng, {})).encode()
    draft = Draft(path, sender.signed(path, body, rng), body)
    chosen = []
    if rng.random() < 0.7:
        chosen.append(rng.choice(BODY_MUTATIONS))
    # Misframing last, so that its lengths are the final body's: a Content-Length longer than
    # the bytes sent, without closing, is a slow sender that any server waits for (the reverse
    # proxy's body timeout ends it, see the README), not a finding.
    chosen += sorted(rng.sample(WIRE_MUTATIONS, rng.randrange(0, 3)), key=lambda m: m is misframed)
    for mutation in chosen:
        mutation(draft, rng, sender)
    description = "+".join(mutation.__name__ for mutation in chosen) or "valid"
    return description, frame(draft, sender.node_host), draft.half_close


def frame(draft: Draft, host: str) -> bytes:
    lines = [f"POST {draft.path} HTTP/1.1", "Connection: close"]
    if not any(name.lower() == "host" for name, _ in draft.headers):
        lines.append(f"Host: {host}")
    lines += [f"{name}: {value}" for name, value in draft.headers]
    if draft.chunked is not None:
        lines.append("Transfer-Encoding: chunked")
        payload = draft.chunked
    else:
        length = len(draft.body) if draft.content_length is None else draft.content_length
        lines.append(f"Content-Length: {length}")
        payload = draft.body
    head = "\r\n".join(lines).encode("utf-8", "surrogateescape") + b"\r\n"
    return head + draft.raw_headers + b"\r\n" + payload


async def send(port: int, data: bytes, half_close: bool, within: float) -> int | None:
    """The status of the answer; 0 if the node closed without one; None if none came in time."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        if half_close:
            writer.write_eof()
        status_line = await asyncio.wait_for(reader.readline(), within)
    except TimeoutError:
        return None
    except (ConnectionResetError, BrokenPipeError):
        return 0
    finally:
        writer.close()
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            await writer.wait_closed()
    parts = status_line.split()
    return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else 0
