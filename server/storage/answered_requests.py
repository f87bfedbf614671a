"""Answers given to requests that leave no relation behind (a blocked actor's Follow, a Follow
of our trust list), so that a repeat within the window of repeats is not answered again."""

from __future__ import annotations

from datetime import datetime

from server.database import DbConnection


def answer_due(column: str, every: str) -> str:
    """SQL that holds when an answer last given at `column` may be given again: never given, or
    longer ago than `every` seconds (a query parameter). The one rule of repeated requests, for
    the relations that remember their own answer (follows, participants) and for this table."""
    return f"({column} IS NULL OR {column} < now() - make_interval(secs => {every}))"


async def claim(
    connection: DbConnection, recipient: str, asked: str, answer: str, every_seconds: float
) -> bool:
    """Whether `answer` to `recipient`'s request of `asked` goes now: never given, or the last
    one given longer than `every_seconds` ago and no longer waiting for delivery. When it goes,
    it is taken as given now (the row stays locked until the transaction ends)."""
    due: bool | None = await connection.fetchval(
        f"""
        INSERT INTO answered_requests AS a (recipient, asked, answer) VALUES ($1, $2, $3)
        ON CONFLICT (recipient, asked, answer) DO UPDATE SET answered_at = now(), outbox_id = NULL
        WHERE {answer_due("a.answered_at", "$4")} AND NOT EXISTS (
            SELECT 1 FROM deliveries d WHERE d.outbox_id = a.outbox_id AND d.state = 'pending')
        RETURNING true
        """,
        recipient,
        asked,
        answer,
        every_seconds,
    )
    return bool(due)


async def record_outbox(
    connection: DbConnection, recipient: str, asked: str, answer: str, outbox_id: int
) -> None:
    await connection.execute(
        "UPDATE answered_requests SET outbox_id = $4 "
        "WHERE recipient = $1 AND asked = $2 AND answer = $3",
        recipient,
        asked,
        answer,
        outbox_id,
    )


async def forget(connection: DbConnection, recipient: str, asked: str | None = None) -> None:
    """The request is over (its Undo, a block lifted): a new one is answered at once."""
    await connection.execute(
        "DELETE FROM answered_requests WHERE recipient = $1 AND ($2::text IS NULL OR asked = $2)",
        recipient,
        asked,
    )


async def prune(connection: DbConnection, older_than: datetime, limit: int) -> int:
    """Delete up to `limit` answers given before `older_than` and no longer waiting for delivery:
    past the window of repeats, a new request would be answered anyway. Returns how many went."""
    result: str = await connection.execute(
        """
        DELETE FROM answered_requests WHERE (recipient, asked, answer) IN (
            SELECT a.recipient, a.asked, a.answer FROM answered_requests a
            WHERE a.answered_at < $1 AND NOT EXISTS (
                SELECT 1 FROM deliveries d WHERE d.outbox_id = a.outbox_id AND d.state = 'pending')
            LIMIT $2)
        """,
        older_than,
        limit,
    )
    return int(result.rsplit(" ", 1)[-1])
