"""The access log: one line per request, in the node's two log formats."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import aiohttp
import pytest
import structlog
from aiohttp import web

from server.logs import ACCESS_LOGGER, AccessLog, access_logger, configure_logging
from tests.support import free_port


@pytest.fixture
def logging_restored() -> Iterator[None]:
    """The logging setup of the test process, restored after a test configures its own."""
    root, access = logging.getLogger(), logging.getLogger(ACCESS_LOGGER)
    saved = (root.handlers[:], root.level, access.handlers[:], access.propagate)
    structlog_config = structlog.get_config()
    try:
        yield
    finally:
        root.handlers[:], level, access.handlers[:], access.propagate = saved
        root.setLevel(level)
        structlog.configure(**structlog_config)


def log_to_string(monkeypatch: pytest.MonkeyPatch, log_format: str, level: str) -> io.StringIO:
    # Inside the test, not in a fixture: pytest's capture resets sys.stderr between phases.
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    configure_logging(log_format, level)
    return stream


async def one_request(path: str) -> None:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="bonjour", status=202)

    app = web.Application()
    app.router.add_get("/hello", hello)
    runner = web.AppRunner(app, access_log_class=AccessLog, access_log=access_logger())
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}{path}", headers={"User-Agent": "é-test"}) as r,
        ):
            await r.read()
    finally:
        await runner.cleanup()


async def test_json_access_lines_carry_the_request(
    logging_restored: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    captured_stderr = log_to_string(monkeypatch, "json", "info")
    await one_request("/hello?lang=fr")
    lines = [json.loads(line) for line in captured_stderr.getvalue().splitlines()]
    requests = [line for line in lines if line.get("logger") == ACCESS_LOGGER]
    assert len(requests) == 1
    line = requests[0]
    assert line["event"] == "request"
    assert line["level"] == "info"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/hello?lang=fr", 202)
    assert line["bytes"] >= len("bonjour")  # what went on the wire, as aiohttp counts it
    assert line["remote"] == "127.0.0.1"
    assert line["agent"] == "é-test"
    assert line["timestamp"].endswith("Z")


async def test_console_access_lines_are_key_value_pairs(
    logging_restored: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    captured_stderr = log_to_string(monkeypatch, "console", "info")
    await one_request("/hello")
    lines = [line for line in captured_stderr.getvalue().splitlines() if ACCESS_LOGGER in line]
    assert len(lines) == 1
    assert "[info     ] request" in lines[0]
    assert "method=GET path=/hello status=202" in lines[0]


async def test_no_access_lines_above_info(
    logging_restored: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    captured_stderr = log_to_string(monkeypatch, "json", "warning")
    await one_request("/hello")
    assert ACCESS_LOGGER not in captured_stderr.getvalue()
