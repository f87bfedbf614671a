"""Running the application until SIGTERM or Ctrl-C, then finishing in-flight requests.

The stop goes in this order: connections the kernel already accepted are taken and the listening
socket is closed; the requests they carry are read and answered (for `shutdown_timeout` at
most); then the workers stop, giving back the deliveries they had claimed but not finished; then
the database pool closes (aiohttp's cleanup runs the app's contexts in reverse: live stream,
workers, services).
"""

from __future__ import annotations

import asyncio
import errno
import select
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


# Bound on the two waits below, however busy the socket is.
ACCEPT_DRAIN_SECONDS = 1.0
LOOP_TURN = 0.001


async def take_queued_connections(listening: socket.socket, within: float) -> None:
    """Let the event loop accept the connections that completed their handshake before the stop
    (the kernel's accept queue): closing the listening socket would reset them unanswered."""
    for _ in range(round(within / LOOP_TURN)):
        if not readable([listening.fileno()]):
            return
        await asyncio.sleep(LOOP_TURN)  # a turn of the loop's selector, which accepts them


async def read_received_requests(server: web.Server, within: float) -> None:
    """Let the event loop read what the accepted connections already received, so that a request
    sent before the stop is parsed and answered instead of its idle-looking connection closed."""
    for _ in range(round(within / LOOP_TURN)):
        sockets = [
            transport.get_extra_info("socket").fileno()
            for handler in server.connections
            if (transport := handler.transport) is not None
            and transport.get_extra_info("socket") is not None
        ]
        if not readable(sockets):
            break
        await asyncio.sleep(LOOP_TURN)
    for _ in range(3):  # the parsed requests' handlers start on the next turns
        await asyncio.sleep(0)


def readable(descriptors: list[int]) -> bool:
    descriptors = [fd for fd in descriptors if fd >= 0]
    if not descriptors:
        return False
    ready, _, _ = select.select(descriptors, [], [], 0)
    return bool(ready)


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
        await take_queued_connections(listening, ACCEPT_DRAIN_SECONDS)
        await site.stop()
        if runner.server is not None:
            await read_received_requests(runner.server, ACCEPT_DRAIN_SECONDS)
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
