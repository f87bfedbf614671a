"""Structured logs: one event per line, readable on a console or as JSON for a log collector."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from aiohttp.abc import AbstractAccessLogger
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

ACCESS_LOGGER = "maillage.access"
# pgserver narrates every initdb and pg_ctl step (about 60 lines on a first start): useful when
# the embedded database will not start, noise otherwise.
EMBEDDED_DATABASE_LOGGER = "pgserver"
EMBEDDED_DATABASE_LOG_FILE = "embedded-postgres.log"


# The logger aiohttp's server writes its own errors to.
AIOHTTP_SERVER_LOGGER = "aiohttp.server"


class ClientFaults(logging.Filter):
    """aiohttp logs a malformed request, a body that does not decompress, or a client gone
    before its answer, as an error with its traceback, although the fault is the client's. A
    stranger could fill the log with those: they stay one warning line, and a traceback keeps
    meaning a bug of ours.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError | RequestPayloadError | ConnectionResetError):
            record.msg = f"{record.getMessage()}: {type(error).__name__}: {error}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
            record.levelno = logging.WARNING
            record.levelname = "WARNING"
        return True


CLIENT_FAULTS = ClientFaults()


def quiet_client_faults() -> None:
    logging.getLogger(AIOHTTP_SERVER_LOGGER).addFilter(CLIENT_FAULTS)


def configure_logging(log_format: str, level: str) -> None:
    """Route our logs and the libraries' (asyncio, aiohttp) through structlog; the access log
    gets a handler of its own (see AccessLog)."""
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=shared,
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    access = logging.getLogger(ACCESS_LOGGER)
    access_handler = logging.StreamHandler(sys.stderr)
    access_handler.setFormatter(AccessFormatter(log_format))
    access.handlers[:] = [access_handler]
    access.propagate = False


def route_embedded_database_output(data_dir: Path, *, verbose: bool) -> Path | None:
    """Send the embedded PostgreSQL's narration to a file in the data directory, or, when
    `verbose`, to the console with the rest. Returns the file, if one is used."""
    logger = logging.getLogger(EMBEDDED_DATABASE_LOGGER)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    if verbose:
        logger.propagate = True
        return None
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / EMBEDDED_DATABASE_LOG_FILE
    handler = logging.FileHandler(path, encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.propagate = False
    return path


class AccessLog(AbstractAccessLogger):
    """One line per request, with the fields as the record's `args`.

    The structlog chain costs about 80 µs a line, a tenth of what a busy inbox spends on a
    request: the access log renders its few fixed fields itself, in the same two formats.
    """

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        fields = {
            "method": request.method,
            "path": request.path_qs,
            "status": response.status,
            "ms": round(time * 1000, 1),
            "bytes": response.body_length,
            "remote": request.remote,
            "agent": request.headers.get("User-Agent", "-"),
        }
        self.logger.info("request", fields)

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)


def access_logger() -> logging.Logger:
    return logging.getLogger(ACCESS_LOGGER)


class AccessFormatter(logging.Formatter):
    """Renders AccessLog's records like the structlog renderers render the other events."""

    def __init__(self, log_format: str) -> None:
        super().__init__()
        self.as_json = log_format == "json"

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = record.args if isinstance(record.args, dict) else {}
        moment = datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z")
        level = record.levelname.lower()
        if self.as_json:
            return json.dumps(
                {**fields, "event": record.msg, "level": level, "logger": record.name,
                 "timestamp": moment},
                ensure_ascii=False,
            )  # fmt: skip
        pairs = " ".join(f"{key}={value}" for key, value in fields.items())
        return f"{moment} [{level:<9}] {record.msg:<20} [{record.name}] {pairs}"
