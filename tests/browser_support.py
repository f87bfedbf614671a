"""A real browser for the pages: Debian's Chromium driven by Playwright, axe-core's accessibility
check, and screenshots of every page when MAILLAGE_SCREENSHOTS names a folder.

Without a `chromium` the browser tests skip on a workstation but fail in CI (CI=true), where
.ci/run installs it. axe-core comes from npm, for the tests only, into the gitignored .cache/axe.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

ROOT = Path(__file__).resolve().parent.parent
AXE_DIR = ROOT / ".cache" / "axe"
AXE_SCRIPT = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
AXE_VERSION = "4"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def missing(what: str) -> None:
    """A missing tool fails the run in CI, where it must be there, and skips elsewhere."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing: CI installs it and the browser tests must run")
    pytest.skip(f"{what} is missing")


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def axe_source() -> str:
    if not AXE_SCRIPT.exists():
        npm = shutil.which("npm")
        if npm is None:
            missing("npm (to install axe-core)")
        AXE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(AXE_DIR),
             f"axe-core@{AXE_VERSION}"],
            check=True,
            timeout=300,
        )  # fmt: skip
    return AXE_SCRIPT.read_text(encoding="utf-8")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    path = chromium_path()
    if path is None:
        missing("chromium (apt-get install chromium)")
    async with async_playwright() as playwright:
        # The loopback network names its nodes <name>.test; each has its own port.
        launched = await playwright.chromium.launch(
            executable_path=path, args=["--host-resolver-rules=MAP *.test 127.0.0.1"]
        )
        yield launched
        await launched.close()


async def new_context(
    browser: Browser, *, phone: bool = False, language: str = "fr"
) -> BrowserContext:
    return await browser.new_context(
        viewport=PHONE if phone else DESKTOP,
        locale="fr-FR" if language == "fr" else "en-GB",
        # No animation caught half-way (a card fading in reads as low contrast to axe).
        reduced_motion="reduce",
    )


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """The serious and critical violations axe-core finds on the page as it is now."""
    # Evaluated through the DevTools protocol, so the page's CSP (no inline script) allows it.
    await page.evaluate(axe_source())
    result = await page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


async def screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("MAILLAGE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


async def looked_at(page: Page, name: str) -> None:
    """Every page a test visits: screenshot it (if asked) and check its accessibility."""
    await screenshot(page, name)
    violations = await axe_violations(page)
    assert violations == [], (name, violations)
