"""HTTP/1.1 over a bare socket, for requests no client library sends (bad bytes, bad framing)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RawAnswer:
    status: int  # 0 when the node closed the connection without answering
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def request_bytes(
    method: str,
    target: str,
    *,
    host: str,
    headers: list[tuple[str, str]] | None = None,
    body: bytes | None = None,
    raw_headers: bytes = b"",
) -> bytes:
    """A request with a Content-Length for `body` unless `headers` frame it otherwise."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", "Connection: close"]
    named = {name.lower() for name, _ in headers or []}
    for name, value in headers or []:
        lines.append(f"{name}: {value}")
    if body is not None and "content-length" not in named and "transfer-encoding" not in named:
        lines.append(f"Content-Length: {len(body)}")
    head = "\r\n".join(lines).encode("utf-8", "surrogateescape") + b"\r\n" + raw_headers + b"\r\n"
    return head + (body or b"")


async def exchange(port: int, data: bytes, *, within: float = 10.0) -> RawAnswer:
    """Send `data` and read one answer (by its Content-Length, else until the node closes).

    The answer is not awaited to the close: after refusing a body it did not read, aiohttp
    keeps the connection a few seconds to drain it, so that the client gets the answer.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        raw = await asyncio.wait_for(read_answer(reader), within)
    except ConnectionResetError:
        raw = b""
    finally:
        writer.close()
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            await writer.wait_closed()
    return parse_answer(raw)


async def read_answer(reader: asyncio.StreamReader) -> bytes:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as partial:
        return partial.partial
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length is None:
        return head + await reader.read()
    return head + await reader.readexactly(length)


def parse_answer(raw: bytes) -> RawAnswer:
    if not raw:
        return RawAnswer(0, {}, b"")
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = unchunk(body)
    return RawAnswer(int(status_line.split()[1]), headers, body)


def unchunk(body: bytes) -> bytes:
    out = bytearray()
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += rest[:size]
        body = rest[size + 2 :]
    return bytes(out)
