"""Open calls: the place publishes them (Create, Update, Delete) and imports its neighbours'.

A received Page or Article is an open call only when it carries `callKind`; any other Page (a
Lemmy post, a blog page) is left alone. Passing the deadline closes a call everywhere: a sweeper
closes it here and sends the Update.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog

from schemas.api_calls import CallIn, CallPatch
from schemas.errors import SchemaError
from schemas.objects import Document, Link
from schemas.opencalls import OpenCall
from schemas.parse import parse_object
from schemas.places import Place
from server.database import DbConnection
from server.documents.open_calls import call_document, tombstone_document
from server.processing import live_feed, objects, senders
from server.processing.context import NodeContext
from server.processing.errors import ProcessingError
from server.processing.objects import Imported, NothingImported, Removed, Shown
from server.processing.publish import PUBLIC, publish
from server.processing.sanitise import clean_html, html_text, plain_text, text_as_html, typed_text
from server.storage import open_calls
from server.storage.inbox import ReceivedActivity
from server.storage.local_actors import PLACE
from server.storage.open_calls import CallFields, StoredCall
from server.urls import NodeUrls

log = structlog.get_logger(__name__)

SWEEP_SECONDS = 60.0
PARAGRAPH_END = re.compile(r"\s*</p>\s*", re.IGNORECASE)
LINE_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
MAX_REMOTE_ENTRIES = 30


class CallError(ProcessingError):
    """The change is refused; `field` names the field at fault, for the API's 422."""

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(code, message)
        self.field = field


def _fields_from(body: CallIn) -> CallFields:
    return CallFields(
        kind=body.kind,
        title=body.title,
        summary=body.summary or None,
        description=body.description,
        content_html=text_as_html(body.description),
        deadline=body.deadline,
        skills_wanted=body.skills_wanted,
        territory=body.territory or None,
        contact=body.contact or None,
        documents=[document.model_dump() for document in body.documents],
    )


async def _announce(
    connection: DbConnection, urls: NodeUrls, verb: str, document: dict[str, Any]
) -> None:
    activity = {"type": verb, "to": [PUBLIC], "cc": [urls.followers(PLACE)], "object": document}
    await publish(connection, urls, PLACE, activity, to_followers=True)


async def create_call(connection: DbConnection, urls: NodeUrls, body: CallIn) -> StoredCall:
    token = secrets.token_urlsafe(12)
    call = await open_calls.insert_local(
        connection, urls.object("calls", token), token, urls.actor(PLACE), _fields_from(body)
    )
    await _announce(connection, urls, "Create", call_document(urls, call))
    return call


async def change_call(
    connection: DbConnection, urls: NodeUrls, token: str, patch: CallPatch
) -> StoredCall | None:
    """Apply the patch to one of our calls and send the Update; None if there is no such call."""
    call = await _live_local(connection, token)
    if call is None:
        return None
    given = patch.model_dump(exclude_unset=True)
    if "documents" in given:
        given["documents"] = [document.model_dump() for document in patch.documents or []]
    if "description" in given:
        given["description"] = given["description"] or ""
        given["content_html"] = text_as_html(given["description"])
    for required in ("kind", "title", "status", "description", "skills_wanted"):
        if required in given and given[required] is None:
            raise CallError(required, "call-field-required", f"{required} cannot be removed")
    fields = replace(call.fields, **given)
    deadline = fields.deadline
    if fields.status == "open" and deadline is not None and deadline <= datetime.now(UTC):
        raise CallError("deadline", "deadline-past", "an open call needs a deadline in the future")
    return await _store_change(connection, urls, token, fields)


async def close_call(
    connection: DbConnection, urls: NodeUrls, token: str, status: str
) -> StoredCall | None:
    call = await _live_local(connection, token)
    if call is None:
        return None
    return await _store_change(connection, urls, token, replace(call.fields, status=status))


async def delete_call(connection: DbConnection, urls: NodeUrls, token: str) -> bool:
    call = await open_calls.mark_deleted(connection, token)
    if call is None:
        return False
    await _announce(connection, urls, "Delete", tombstone_document(call))
    return True


async def _live_local(connection: DbConnection, token: str) -> StoredCall | None:
    # Locked until commit, so that two changes at once both apply.
    call = await open_calls.find_by_token(connection, token, for_update=True)
    return call if call is not None and call.deleted_at is None else None


async def _store_change(
    connection: DbConnection, urls: NodeUrls, token: str, fields: CallFields
) -> StoredCall:
    call = await open_calls.update_local(connection, token, fields)
    await _announce(connection, urls, "Update", call_document(urls, call))
    return call


async def close_expired_calls(pool: asyncpg.Pool, urls: NodeUrls) -> list[str]:
    """Close our calls whose deadline passed and send their Update; returns their ids.

    Closing and publishing commit together, so a crash leaves the call open for the next sweep
    rather than closed here and open everywhere else.
    """
    async with pool.acquire() as connection, connection.transaction():
        closed = await open_calls.close_expired(connection)
        for call in closed:
            await _announce(connection, urls, "Update", call_document(urls, call))
    if closed:
        log.info("open calls closed at their deadline", count=len(closed))
    return [call.uri for call in closed]


async def sweep_deadlines(
    pool: asyncpg.Pool, urls: NodeUrls, stop: asyncio.Event, every: float = SWEEP_SECONDS
) -> None:
    """Run `close_expired_calls` until `stop`; safe to run in every worker process at once."""
    while not stop.is_set():
        try:
            await close_expired_calls(pool, urls)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            log.warning("closing expired calls failed; retrying", error=str(error))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)


def _text(value: str | None, length: int) -> str | None:
    # Kept as text, not HTML: every reader escapes it when showing it.
    return plain_text(value)[:length] or None if value else None


def _html_as_text(html: str | None) -> str:
    """Received HTML as plain text, keeping its paragraphs and line breaks."""
    if not html:
        return ""
    spaced = PARAGRAPH_END.sub("\n\n", LINE_BREAK.sub("\n", html))
    return html_text(spaced)[:20_000]


def _territory(value: str | Place | None) -> str | None:
    if isinstance(value, Place):
        return _text(value.name or value.address_text, 200)
    return _text(value, 200)


def _documents(call: OpenCall) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    for item in call.attachment[:MAX_REMOTE_ENTRIES]:
        if isinstance(item, Link):
            href, name = item.href, item.name
        elif isinstance(item, Document):
            hrefs = item.url_hrefs()
            href, name = (hrefs[0] if hrefs else None), item.name
        else:
            continue
        if href and href.startswith(("https://", "http://")) and len(href) <= 2048:
            found.append({"name": _text(name, 200) or href, "url": href})
    return found


def remote_fields(call: OpenCall) -> CallFields:
    """What we keep of a received call: every text cleaned, every list bounded."""
    skills = (_text(skill, 80) for skill in call.skills_wanted[:MAX_REMOTE_ENTRIES])
    return CallFields(
        kind=_text(call.call_kind, 40) or "other",
        title=_text(call.name, 200) or "(sans titre / untitled)",
        summary=_text(call.summary, 1000),
        description=_html_as_text(call.content),
        content_html=clean_html(call.content),
        deadline=call.deadline,
        skills_wanted=[skill for skill in skills if skill],
        territory=_territory(call.territory),
        contact=_text(call.contact, 320),
        documents=_documents(call),
        status=_text(call.call_status, 40) or "open",
    )


class OpenCallHandlers:
    """Received Page/Article objects that carry `callKind`."""

    async def created(
        self,
        connection: DbConnection,
        node: NodeContext,
        activity: ReceivedActivity,
        document: dict[str, Any],
    ) -> Imported | NothingImported:
        return await self._store(connection, node, activity, document)

    async def updated(
        self,
        connection: DbConnection,
        node: NodeContext,
        activity: ReceivedActivity,
        document: dict[str, Any],
    ) -> Imported | NothingImported:
        return await self._store(connection, node, activity, document)

    async def deleted(
        self,
        connection: DbConnection,
        node: NodeContext,
        activity: ReceivedActivity,
        object_id: str,
    ) -> Removed | NothingImported:
        if await open_calls.delete_remote(connection, object_id, activity.actor_uri):
            return Removed((object_id,))
        return NothingImported("no call of this actor's")

    async def _store(
        self,
        connection: DbConnection,
        node: NodeContext,
        activity: ReceivedActivity,
        document: dict[str, Any],
    ) -> Imported | NothingImported:
        if "callKind" not in document:
            return NothingImported("a page that is no open call")
        try:
            call = parse_object(document)
        except SchemaError as error:
            log.info("open call ignored", activity=activity.activity_id, reason=str(error))
            return NothingImported("an open call we cannot read")
        if not isinstance(call, OpenCall) or call.id is None:
            return NothingImported("an open call we cannot read")
        if call.attributed_to and activity.actor_uri not in call.attributed_to:
            return NothingImported("an open call attributed to another actor")
        # Calls are purged by their sender alone (open_calls.delete_unfollowed): weigh the same.
        if await open_calls.lock_by_uri(connection, call.id) is None and not (
            await senders.takes_new_object(connection, node, activity, document, owners=[])
        ):
            log.info("open call of an actor we do not follow ignored", call=call.id)
            return NothingImported("an open call of an actor we do not follow")
        written = await open_calls.upsert_remote(
            connection,
            call.id,
            activity.actor_uri,
            remote_fields(call),
            call.published,
            call.updated,
        )
        stored = await open_calls.find_by_uri(connection, call.id) if written else None
        if stored is None:
            return NothingImported("another actor's call, or an older version")
        verb = live_feed.verb_of(activity.activity_type)
        item = live_feed.call_item(call_document(node.urls, stored), verb, typed_text)
        return Imported(call.id, Shown("call", item))


objects.register(("Page", "Article"), OpenCallHandlers())
