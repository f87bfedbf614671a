"""A headless Chromium driven through the DevTools protocol, for tests of pages in a real browser.

Lightest thing that works: Debian's `chromium`, started with `--remote-debugging-port=0` (it writes
the port it chose to `DevToolsActivePort` in its profile), and the page's DevTools WebSocket reached
with aiohttp's client, which the project already depends on. No WebDriver, no extra package.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.support import wait_until

# The machine's network is closed: without the background-networking flags Chromium keeps trying
# to reach Google's services and its connections are refused.
FLAGS = (
    "--headless",
    "--no-sandbox",  # root in a container has no user namespace for the sandbox
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--mute-audio",
)


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class DevToolsError(AssertionError):
    pass


@dataclass
class Page:
    """One tab, spoken to over its DevTools WebSocket; commands are sent one at a time."""

    socket: aiohttp.ClientWebSocketResponse
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def send(self, method: str, within: float = 30.0, **params: Any) -> dict[str, Any]:
        number = next(self.ids)
        await self.socket.send_json({"id": number, "method": method, "params": params})
        async with asyncio.timeout(within):
            while True:
                message = await self.socket.receive_json()
                if message.get("id") != number:
                    continue  # an event of a domain we did not enable, or nothing of ours
                if "error" in message:
                    raise DevToolsError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-serialisable values only)."""
        reply = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in reply:
            raise DevToolsError(f"{expression!r}: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    async def open(self, url: str, within: float = 30.0) -> None:
        """Navigate and wait until the document has loaded."""
        await self.send("Page.navigate", url=url)
        await wait_until(lambda: self.loaded(url), within=within, what=f"{url} to load in Chromium")

    async def loaded(self, url: str) -> bool:
        state = await self.evaluate("[document.readyState, location.href]")
        return bool(state and state[0] == "complete" and state[1] == url)

    async def screenshot(self, path: Path) -> None:
        reply = await self.send("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(reply["data"]))


@contextlib.asynccontextmanager
async def chromium(
    profile: Path, *, width: int = 1920, height: int = 1080, within: float = 60.0
) -> AsyncIterator[Page]:
    """A headless Chromium with an empty profile in `profile`, and its first tab."""
    executable = chromium_path()
    assert executable is not None, "chromium is not installed"
    profile.mkdir(parents=True, exist_ok=True)
    log = (profile.parent / f"{profile.name}.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        executable,
        *FLAGS,
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
        "--remote-debugging-port=0",
        "--remote-allow-origins=*",
        "about:blank",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=log,
        stderr=log,
    )
    try:
        port_file = profile / "DevToolsActivePort"

        async def devtools_port() -> int | None:
            if process.returncode is not None:
                raise AssertionError(f"chromium exited with {process.returncode}, see {log.name}")
            lines = port_file.read_text().split() if port_file.exists() else []
            return int(lines[0]) if lines else None

        port = await wait_until(devtools_port, within=within, what="Chromium's DevTools port")
        async with aiohttp.ClientSession() as session:

            async def first_tab() -> str | None:
                async with session.get(f"http://127.0.0.1:{port}/json/list") as response:
                    targets = await response.json()
                return next(
                    (t["webSocketDebuggerUrl"] for t in targets if t.get("type") == "page"), None
                )

            address = await wait_until(first_tab, within=within, what="Chromium's first tab")
            async with session.ws_connect(address, max_msg_size=0) as socket:
                page = Page(socket)
                await page.send(
                    "Emulation.setDeviceMetricsOverride",
                    width=width,
                    height=height,
                    deviceScaleFactor=1,
                    mobile=False,
                )
                yield page
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                async with asyncio.timeout(15):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()
        log.close()
