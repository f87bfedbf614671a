"""How often a repeated request is answered again (FEDERATION.md, Follows).

A Follow or Join repeated with new ids is answered at most once per `ANSWER_REPEATS_EVERY`:
often enough for a peer that lost our answer to recover by asking again later, rarely enough
that a burst of repeats costs one answer. Mastodon answers every repeated Follow. An accepted
follow or participation remembers its answer on its own row (`follows`, `event_participants`);
a request that leaves no relation behind (a blocked actor's Follow or Join, a Follow of our
trust list) is remembered in `answered_requests`, and is answered again only once the last
identical answer has also left the delivery queue, so that a peer whose inbox fails cannot pile
up answers either.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog

from server.database import DbConnection
from server.storage import answered_requests

log = structlog.get_logger(__name__)

ANSWER_REPEATS_EVERY = 3600.0


async def answer_once(
    connection: DbConnection,
    recipient: str,
    asked: str,
    answer: str,
    send: Callable[[], Awaitable[int]],
) -> bool:
    """Run `send` (which queues `answer` to `recipient`'s request of `asked` and returns its
    outbox id) unless the same answer went recently or still waits for delivery; whether it
    ran."""
    if not await answered_requests.claim(
        connection, recipient, asked, answer, ANSWER_REPEATS_EVERY
    ):
        log.info("repeated request answered already", actor=recipient, asked=asked, answer=answer)
        return False
    outbox_id = await send()
    await answered_requests.record_outbox(connection, recipient, asked, answer, outbox_id)
    return True
