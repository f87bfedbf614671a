"""Running the application until SIGTERM or Ctrl-C, then finishing in-flight requests."""

from __future__ import annotations

import asyncio
import errno
import signal
import socket

import structlog
from aiohttp import web

from server.app import create_app
from server.config import Settings
from server.logs import AccessLog, access_logger
from server.services import open_services
from server.workers.supervisor import running_workers

log = structlog.get_logger(__name__)


class PortUnavailable(Exception):
    """The listening address cannot be bound."""


def bind_listening_socket(host: str, port: int) -> socket.socket:
    """Bind before anything else starts, so a busy port is a one-line error and not a traceback."""
    try:
        return socket.create_server((host, port), reuse_port=False, backlog=1024)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise PortUnavailable(f"port {port} on {host} is already in use") from None
        if error.errno == errno.EADDRNOTAVAIL:
            raise PortUnavailable(f"address {host} is not available on this machine") from None
        if error.errno == errno.EACCES:
            raise PortUnavailable(f"not allowed to listen on {host}:{port}") from None
        raise PortUnavailable(f"cannot listen on {host}:{port}: {error.strerror}") from None
    except socket.gaierror as error:
        raise PortUnavailable(f"cannot resolve host {host!r}: {error.strerror}") from None


def app_runner(settings: Settings, shutdown_timeout: float) -> web.AppRunner:
    """The node's application as `serve` runs it: our signal handling, our access log."""
    return web.AppRunner(
        create_app(settings),
        handle_signals=False,
        shutdown_timeout=shutdown_timeout,
        access_log_class=AccessLog,
        access_log=access_logger(),
    )


async def serve_until_stopped(settings: Settings, listening: socket.socket) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    runner = app_runner(settings, settings.shutdown_timeout)
    try:
        await runner.setup()
        site = web.SockSite(runner, listening)
        await site.start()
        host, port = listening.getsockname()[:2]
        log.info("listening", url=f"http://{host}:{port}", public_url=settings.public_url)
        await stop.wait()
        log.info("stopping: finishing in-flight requests", timeout=settings.shutdown_timeout)
    finally:
        await runner.cleanup()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)


async def run_workers_until_stopped(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with open_services(settings) as services, running_workers(services):
        log.info("workers running")
        await stop.wait()
        log.info("stopping workers")
